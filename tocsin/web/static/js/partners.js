// The co-operation network: Cytoscape diagram from /api/v1/partners/network.
// Clicking a node lists its partners and the activities, agreements and events behind each link.
(function () {
  "use strict";
  var _ = window.tocsinText;
  var ngettext = window.tocsinPlural;

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function list(title, items, base) {
    var wrap = el("div");
    if (!items.length) { return wrap; }
    wrap.appendChild(el("strong", title));
    var ul = el("ul");
    items.forEach(function (item) {
      var li = el("li");
      if (base) { li.appendChild(el("a", item.title, { href: base + item.id })); }
      else { li.textContent = _("%(title)s (activity %(id)s)", { title: item.title, id: item.id }); }
      ul.appendChild(li);
    });
    wrap.appendChild(ul);
    return wrap;
  }

  function showDetail(panel, cy, node) {
    panel.replaceChildren();
    var data = node.data();
    var heading = el("h2");
    heading.appendChild(el("a", data.name, { href: "/partners/" + data.partner_id }));
    panel.appendChild(heading);
    var edges = node.connectedEdges().sort(function (a, b) { return b.data("weight") - a.data("weight"); });
    panel.appendChild(el("p", ngettext("%(count)s partner · total weight %(weight)s",
      "%(count)s partners · total weight %(weight)s", edges.length,
      { count: edges.length, weight: data.weight }), { "class": "meta" }));
    var ol = el("ol", null, { "class": "partners-of" });
    edges.forEach(function (edge) {
      var other = edge.source().id() === node.id() ? edge.target() : edge.source();
      var li = el("li", null, { "data-partner": other.data("label") });
      li.appendChild(el("strong", _("%(name)s — weight %(weight)s",
        { name: other.data("name"), weight: edge.data("weight") })));
      li.appendChild(list(_("Joint activities"), edge.data("activities"), null));
      li.appendChild(list(_("Agreements"), edge.data("agreements"), "/partners/agreements/"));
      li.appendChild(list(_("Events"), edge.data("events"), "/events/"));
      ol.appendChild(li);
    });
    panel.appendChild(ol);
    cy.elements().removeClass("faded");
    cy.elements().not(node.closedNeighborhood()).addClass("faded");
  }

  function start() {
    var box = document.getElementById("network");
    var panel = document.getElementById("network-detail");
    if (!box || typeof cytoscape === "undefined") { return; }
    fetch(box.dataset.source, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (elements) {
        if (!elements.nodes.length) {
          box.textContent = _("No joint activities, agreements or events recorded yet.");
          return;
        }
        var cy = cytoscape({
          container: box,
          elements: elements,
          style: [
            { selector: "node", style: {
              "label": "data(label)", "font-size": 11, "text-valign": "bottom",
              "background-color": "#0b5cad", "width": "mapData(weight, 0, 20, 18, 60)",
              "height": "mapData(weight, 0, 20, 18, 60)" } },
            { selector: "node[kind = 'structure']", style: { "background-color": "#12263a" } },
            { selector: "edge", style: {
              "width": "mapData(weight, 1, 10, 1, 10)", "line-color": "#9fb3c8",
              "label": "data(weight)", "font-size": 9, "curve-style": "bezier" } },
            { selector: ".faded", style: { "opacity": 0.15 } }
          ],
          layout: { name: "cose", animate: false }
        });
        box.dataset.ready = "true";
        cy.on("tap", "node", function (evt) { showDetail(panel, cy, evt.target); });
        // keyboard and test access: a list of nodes that select like a click
        var pick = el("select", null, { "aria-label": _("Select an organization"), id: "network-pick",
                                        style: "display:block;margin-bottom:.5rem" });
        pick.appendChild(el("option", _("Select an organization…"), { value: "" }));
        cy.nodes().sort(function (a, b) { return a.data("name").localeCompare(b.data("name")); })
          .forEach(function (n) { pick.appendChild(el("option", n.data("name"), { value: n.id() })); });
        pick.addEventListener("change", function () {
          if (pick.value) { showDetail(panel, cy, cy.getElementById(pick.value)); }
        });
        box.parentNode.insertBefore(pick, box);
      });
  }

  document.addEventListener("DOMContentLoaded", start);
}());

// Coherence pages: the threat heatmap and trend chart (ECharts, served locally) and
// the live values of the OCG weight sliders. Data come from /api/v1/coherence.
(function () {
  "use strict";
  var _ = window.tocsinText;

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status + " " + url); } return r.json(); });
  }

  // long crime-area names on two lines instead of running into the chart
  function wrap(text, width) {
    var lines = [], line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines.join("\n");
  }

  // A tooltip of a bold title and plain lines, every piece set with textContent.
  function textTip(title, lines) {
    var box = document.createElement("div");
    var head = document.createElement("b");
    head.textContent = title;
    box.appendChild(head);
    lines.forEach(function (line) {
      var row = document.createElement("div");
      row.textContent = line;
      box.appendChild(row);
    });
    return box;
  }

  function heatmap(el) {
    getJSON(el.dataset.url).then(function (pic) {
      var areas = pic.crime_areas, places = pic.places;
      // the indicator kinds in the page's language (the API names them in English)
      var kinds = JSON.parse(el.dataset.kinds || "{}");
      if (!pic.cells.length) { el.textContent = _("No threat data you may read for this year."); el.style.height = "auto"; return; }
      var ai = {}, pi = {};
      areas.forEach(function (a, i) { ai[a.code] = i; });
      places.forEach(function (p, i) { pi[p.code] = i; });
      var data = pic.cells.map(function (c) {
        return { value: [pi[c.place], ai[c.crime_area], Math.round(c.score)], cell: c };
      });
      el.style.height = Math.max(300, 50 * areas.length + 190) + "px";
      var chart = echarts.init(el);
      chart.setOption({
        animation: false,
        // built from text nodes: ECharts inserts a returned string as HTML
        tooltip: { formatter: function (p) {
          var c = p.data.cell;
          var lines = [_("score %(score)s (indicators %(indicators)s, groups %(groups)s)", {
            score: c.score.toFixed(1), indicators: c.indicator_score.toFixed(0),
            groups: c.group_score.toFixed(0) })].concat(c.parts.map(function (x) {
            return _("%(label)s: %(share)s%% of the highest",
              { label: kinds[x.kind] || x.label, share: Math.round(x.normalised * 100) });
          }));
          return textTip(c.crime_area_name + " — " + c.place_name, lines);
        } },
        grid: { left: 250, right: 30, top: 10, bottom: 150 },
        xAxis: { type: "category", data: places.map(function (p) { return p.name; }), axisLabel: { rotate: 40, interval: 0 } },
        yAxis: { type: "category", data: areas.map(function (a) { return wrap(a.name, 30); }), inverse: true,
                 axisLabel: { lineHeight: 15 } },
        visualMap: { min: 0, max: 100, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                     inRange: { color: ["#f7f7f7", "#fde0a2", "#f4a259", "#d9534f", "#8b1a1a"] } },
        series: [{ type: "heatmap", data: data, label: { show: true }, emphasis: { itemStyle: { borderColor: "#000", borderWidth: 1 } } }]
      });
      chart.on("click", function (p) {
        var c = p.data.cell;
        window.location.href = el.dataset.cellUrl + "&crime_area=" + encodeURIComponent(c.crime_area) +
          "&place=" + encodeURIComponent(c.place);
      });
      el.dataset.ready = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    }).catch(function (e) { el.textContent = _("The heatmap could not be loaded (%(error)s).", { error: e.message }); });
  }

  function trends(el) {
    getJSON(el.dataset.url).then(function (res) {
      if (!res.series.length) { el.textContent = _("No hot spot to follow."); el.style.height = "auto"; return; }
      var years = {};
      res.series.forEach(function (s) { s.points.forEach(function (p) { years[p.year] = true; }); });
      var xs = Object.keys(years).sort();
      var chart = echarts.init(el);
      chart.setOption({
        animation: false, tooltip: { trigger: "axis" }, legend: { type: "scroll", bottom: 0 },
        grid: { left: 50, right: 20, top: 20, bottom: 60 },
        xAxis: { type: "category", data: xs }, yAxis: { type: "value", min: 0, max: 100, name: _("score") },
        series: res.series.map(function (s) {
          var by = {};
          s.points.forEach(function (p) { by[p.year] = p.score; });
          return { type: "line", name: s.label, data: xs.map(function (y) { return by[y] === undefined ? null : by[y]; }) };
        })
      });
      el.dataset.ready = "1";
    }).catch(function (e) { el.textContent = _("The trends could not be loaded (%(error)s).", { error: e.message }); });
  }

  function weights() {
    document.querySelectorAll("input[data-weight]").forEach(function (input) {
      var out = input.closest("label").querySelector("output[data-weight-output]");
      input.addEventListener("input", function () { out.textContent = input.value; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var h = document.getElementById("threat-heatmap");
    if (h && window.echarts) { heatmap(h); }
    var t = document.getElementById("threat-trends");
    if (t && window.echarts) { trends(t); }
    weights();
  });
})();

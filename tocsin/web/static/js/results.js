// Results and their indicators on the new-programme form, as repeatable rows (native
// inputs, no framework, no CDN). The server renders one result with one indicator and
// reads the fields by their numbered names (result-0-indicator-1-title); this script
// adds and removes results and indicators, keeps the visible numbering in order and
// checks each row as you type with the rules the server applies. Without JavaScript
// the first result and indicator stay usable; more can be added on the record's page.
(function () {
  "use strict";
  const _ = window.tocsinText;

  const box = document.querySelector("[data-results]");
  if (!box) return;
  const resultTemplate = document.getElementById("tpl-result");
  const indicatorTemplate = document.getElementById("tpl-indicator");

  function button(text, className, label) {
    const b = document.createElement("button");
    b.type = "button"; b.className = className; b.textContent = text;
    if (label) b.setAttribute("aria-label", label);
    return b;
  }

  function fromTemplate(template, r, i) {
    const html = template.innerHTML.replaceAll("__R__", String(r)).replaceAll("__I__", String(i));
    const holder = document.createElement("div");
    holder.innerHTML = html;  // the template is the server's own markup, numbers only added
    return holder.firstElementChild;
  }

  function next(nodes, attribute) {
    return nodes.reduce((n, node) => Math.max(n, Number(node.getAttribute(attribute)) + 1), 0);
  }

  const results = () => [...box.querySelectorAll(":scope > fieldset.result")];
  const indicatorsOf = (result) => [...result.querySelectorAll(":scope > .indicators > fieldset.indicator")];
  function own(row, name) {  // a field of this row, not of an indicator inside it
    return [...row.querySelectorAll(`[name$="-${name}"]`)].find((f) => f.closest("fieldset") === row);
  }

  function renumber() {
    results().forEach((result, k) => {
      result.querySelector(":scope > legend").textContent = _("Result %(n)s", { n: k + 1 });
      const remove = result.querySelector(":scope > .row-actions .remove-result");
      if (remove) remove.setAttribute("aria-label", _("Remove result %(n)s", { n: k + 1 }));
      const addIndicator = result.querySelector(":scope > .row-actions .add-indicator");
      if (addIndicator) addIndicator.setAttribute("aria-label", _("Add an indicator to result %(n)s", { n: k + 1 }));
      indicatorsOf(result).forEach((indicator, j) => {
        indicator.querySelector(":scope > legend").textContent = _("Indicator %(n)s", { n: j + 1 });
        const r = indicator.querySelector(".remove-indicator");
        if (r) r.setAttribute("aria-label", _("Remove indicator %(n)s of result %(result)s", { n: j + 1, result: k + 1 }));
      });
    });
  }

  function say(row, messages) {
    const place = row.querySelector(":scope > .row-error");
    let client = place.querySelector(".client");
    if (!client) { client = document.createElement("p"); client.className = "client"; place.append(client); }
    client.textContent = messages.join(" ");
  }

  // The rules of check.py and forms.py, so the row says what is wrong before sending.
  function checkIndicator(indicator) {
    const v = (name) => own(indicator, name).value.trim();
    const messages = [];
    const mark = (name, message) => { own(indicator, name).setCustomValidity(message); if (message) messages.push(message); };
    const filled = ["baseline_year", "baseline_value", "period_start", "period_end", "target", "actual", "description"].some((n) => v(n));
    mark("title", filled && !v("title") ? _("Give the indicator a title.") : "");
    mark("baseline_year", v("baseline_value") && !v("baseline_year") ? _("A baseline value needs a baseline year.") : "");
    const start = v("period_start"), end = v("period_end");
    let period = "";
    if ((start && !end) || (!start && end)) period = _("A period needs both its start and its end.");
    else if (start && end && end < start) period = _("The period ends (%(end)s) before it starts (%(start)s).", { end: end, start: start });
    else if (!start && !end && (v("target") || v("actual"))) period = _("A target or actual value needs the period's start and end.");
    mark("period_end", period);
    say(indicator, messages);
    return Boolean(v("title")) || filled;
  }

  function checkResult(result) {
    const used = indicatorsOf(result).map(checkIndicator);
    const title = own(result, "title");
    const named = indicatorsOf(result).some((i) => own(i, "title").value.trim());
    const messages = [];
    title.setCustomValidity("");
    if (!title.value.trim() && used.some(Boolean)) {
      title.setCustomValidity(_("Give the result a title.")); messages.push(_("Give the result a title."));
    }
    const first = indicatorsOf(result)[0];
    if (title.value.trim() && !named && first) {
      const m = _("A result needs at least one indicator (IATI 2.03); name it here.");
      if (!own(first, "title").validationMessage) own(first, "title").setCustomValidity(m);
      messages.push(m);
    }
    say(result, messages);
  }

  function dropServerErrors(row) {
    row.querySelectorAll(":scope > .row-error .server-error").forEach((p) => p.remove());
  }

  function wireIndicator(result, indicator) {
    const remove = button(_("Remove indicator"), "link-button remove-indicator");
    const actions = document.createElement("div");
    actions.className = "row-actions";
    actions.append(remove);
    indicator.append(actions);
    remove.addEventListener("click", () => {
      const rest = indicatorsOf(result);
      const at = rest.indexOf(indicator);
      indicator.remove();
      renumber(); checkResult(result);
      const target = indicatorsOf(result)[Math.max(0, at - 1)];
      (target ? own(target, "title") : result.querySelector(".add-indicator")).focus();
    });
    indicator.addEventListener("input", () => dropServerErrors(indicator));
  }

  function wireResult(result) {
    const actions = document.createElement("div");
    actions.className = "row-actions";
    const addIndicator = button(_("Add an indicator"), "secondary small add-indicator");
    const remove = button(_("Remove result"), "link-button remove-result");
    actions.append(addIndicator, remove);
    result.append(actions);
    indicatorsOf(result).forEach((indicator) => wireIndicator(result, indicator));
    addIndicator.addEventListener("click", () => {
      const r = result.getAttribute("data-result");
      const indicator = fromTemplate(indicatorTemplate, r, next(indicatorsOf(result), "data-indicator"));
      result.querySelector(":scope > .indicators").append(indicator);
      wireIndicator(result, indicator);
      renumber();
      own(indicator, "title").focus();
    });
    remove.addEventListener("click", () => {
      const at = results().indexOf(result);
      result.remove();
      renumber();
      const target = results()[Math.max(0, at - 1)];
      (target ? own(target, "title") : addResult).focus();
    });
    result.addEventListener("input", (event) => {
      if (event.target.closest("fieldset") === result) dropServerErrors(result);
      checkResult(result);
    });
    result.addEventListener("change", () => checkResult(result));
  }

  const addResult = button(_("Add a result"), "secondary small add-result");
  box.after(addResult);
  addResult.addEventListener("click", () => {
    const result = fromTemplate(resultTemplate, next(results(), "data-result"), 0);
    box.append(result);
    wireResult(result);
    renumber();
    own(result, "title").focus();
  });
  results().forEach(wireResult);
  renumber();
})();

// Repeatable rows with pickers for the programme form (native inputs, no framework, no CDN).
// Each <fieldset data-rows> holds the compact text field the server reads (the same
// syntax as the Excel template); this script hides it, shows one row per entry with a
// searchable picker (labels first, codes as secondary text), keeps the text field in
// step on every change, shows the running percentage total, and checks as you type,
// naming the valid choices. Without JavaScript the compact field stays usable.
// Fieldsets with the same data-group share one total: recipient countries and regions
// follow IATI's rule that countries and the regions of each vocabulary add up to 100.
(function () {
  "use strict";
  const _ = window.tocsinText;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    }
    node.append(...children);
    return node;
  }

  const lists = new Map();
  function choicesOf(listId) {
    if (lists.has(listId)) return lists.get(listId);
    const list = document.getElementById(listId);
    const byCode = new Map(), byLabel = new Map();
    if (list) {
      for (const o of list.querySelectorAll("option")) {
        const code = o.dataset.code || o.value;
        byCode.set(code.toLowerCase(), { code, label: o.value });
        byLabel.set(o.value.toLowerCase(), { code, label: o.value });
      }
    }
    const choices = {
      find(text) {
        const t = text.trim().toLowerCase();
        if (!t) return null;
        const m = t.match(/\(([^)]+)\)\s*$/);
        return byLabel.get(t) || byCode.get(t) || (m && byCode.get(m[1])) || null;
      },
      label(code) { const c = byCode.get(String(code).toLowerCase()); return c ? c.label : code; },
      near(text) {  // a few valid choices to name in a message
        const t = text.trim().toLowerCase();
        const all = [...byLabel.values()];
        const hits = t ? all.filter((c) => c.label.toLowerCase().includes(t) || c.code.toLowerCase().startsWith(t)) : [];
        return (hits.length ? hits : all).slice(0, 5).map((c) => c.label);
      },
    };
    lists.set(listId, choices);
    return choices;
  }
  // The reporting organisation's own region codes: any code, no list to check against.
  const anyCode = { find: (text) => (text.trim() ? { code: text.trim(), label: text.trim() } : null), label: (code) => code, near: () => [] };

  // The compact syntax escapes its separators with a backslash (as the server reads it).
  function escape(text) { return String(text).replace(/[\\;|:]/g, (c) => "\\" + c); }
  function split(text, separator, keepEscapes) {
    const out = [];
    let current = "", escaped = false;
    for (const ch of text) {
      if (escaped) { current += keepEscapes ? "\\" + ch : ch; escaped = false; }
      else if (ch === "\\") escaped = true;
      else if (ch === separator) { out.push(current); current = ""; }
      else current += ch;
    }
    out.push(current);
    return out;
  }

  function round(n) { return Math.round(n * 100) / 100; }

  let counter = 0;
  function uid(prefix) { counter += 1; return `${prefix}-${counter}`; }

  const groups = new Map();  // data-group → the fieldsets that share one total

  function setup(set) {
    const kind = set.dataset.rows;
    const compact = set.querySelector("label.compact input") || set.querySelector("input");
    const compactLabel = compact.closest("label");
    const legend = set.querySelector("legend").textContent;
    const noun = set.dataset.kind || _("choice");
    const group = set.dataset.group || "";
    const vocabularies = document.getElementById("region-vocabularies");
    compactLabel.hidden = true;
    const rows = el("div", { class: "row-list" });
    const message = el("p", { class: "field-error", "aria-live": "polite" });
    const total = el("p", { class: "running-total", "aria-live": "polite", id: uid("total") });
    const add = el("button", { type: "button", class: "secondary small add-row", text: set.dataset.add || _("Add") });
    set.append(rows, total, message, add);

    function vocabularyOf(row) { const v = row.querySelector("select.vocabulary"); return v ? v.value : ""; }
    function picksOf(row) {
      if (kind !== "regions") return set.dataset.list ? choicesOf(set.dataset.list) : null;
      const v = vocabularyOf(row);
      return v === "99" ? anyCode : choicesOf(`dl-regions-${v}`);
    }

    function pickerInput(row, value, label) {
      const input = el("input", { autocomplete: "off", "aria-label": label, class: "pick", "aria-describedby": total.id });
      const listId = kind === "regions" ? `dl-regions-${vocabularyOf(row)}` : set.dataset.list;
      if (document.getElementById(listId)) input.setAttribute("list", listId);
      input.value = value ? picksOf(row).label(value) : "";
      return input;
    }

    function shareInput(value, n) {
      const share = el("input", { type: "number", min: "0", max: "100", step: "any", class: "share", "aria-label": _("Share of %(what)s %(n)s (%%)", { what: noun, n: n }), placeholder: "%", "aria-describedby": total.id });
      share.value = value || "";
      return share;
    }

    function newRow(values) {
      const row = el("div", { class: "row" });
      const n = rows.children.length + 1;
      const remove = el("button", { type: "button", class: "link-button remove-row", "aria-label": _("Remove: %(what)s %(n)s", { what: noun, n: n }), text: _("Remove") });
      rows.append(row);
      if (kind === "share" || kind === "pick") {
        row.append(pickerInput(row, values[0], _("%(legend)s: %(what)s %(n)s", { legend: legend, what: noun, n: n })));
        if (kind === "share") row.append(shareInput(values[1], n), el("span", { class: "unit", text: "%" }));
      } else if (kind === "regions") {
        const vocabulary = vocabularies.cloneNode(true);
        vocabulary.hidden = false; vocabulary.removeAttribute("id");
        vocabulary.classList.add("vocabulary");
        vocabulary.setAttribute("aria-label", _("Vocabulary of region %(n)s", { n: n }));
        vocabulary.value = values[0] || "1";
        row.append(vocabulary);
        const pick = pickerInput(row, values[1], _("%(legend)s: region %(n)s", { legend: legend, n: n }));
        row.append(pick, shareInput(values[2], n), el("span", { class: "unit", text: "%" }));
        vocabulary.addEventListener("change", () => {
          const listId = `dl-regions-${vocabulary.value}`;
          if (document.getElementById(listId)) pick.setAttribute("list", listId); else pick.removeAttribute("list");
          pick.placeholder = vocabulary.value === "99" ? _("your code") : "";
        });
      } else if (kind === "money") {
        const year = el("input", { type: "number", min: "1990", max: "2100", class: "year", "aria-label": _("%(legend)s: year %(n)s", { legend: legend, n: n }) });
        year.value = values[0] || new Date().getFullYear();
        const currency = el("input", { list: "dl-currencies", class: "currency", maxlength: "3", "aria-label": _("Currency %(n)s", { n: n }) });
        currency.value = values[1] || set.dataset.currency || "EUR";
        const amount = el("input", { type: "number", min: "0", step: "any", class: "amount", "aria-label": _("%(legend)s: amount %(n)s", { legend: legend, n: n }) });
        amount.value = values[2] || "";
        row.append(year, currency, amount);
      } else if (kind === "participants") {
        const role = document.getElementById("participant-roles").cloneNode(true);
        role.hidden = false; role.removeAttribute("id");
        role.setAttribute("aria-label", _("Role of organisation %(n)s", { n: n }));
        if (values[0]) role.value = values[0];
        const org = pickerInput(row, values[1], _("Organisation %(n)s", { n: n }));
        if (!values[1] && values[3]) org.value = values[3];
        org.dataset.ref = values[2] || ""; org.dataset.type = values[4] || "";
        row.append(role, org);
      }
      row.append(remove);
      remove.addEventListener("click", () => { row.remove(); changed(); });
      row.addEventListener("input", (event) => { offerRemainder(row, event.target); changed(); });
      row.addEventListener("change", changed);
      return row;
    }

    function parse(text) {
      return split(text, ";", true).map((s) => s.trim()).filter(Boolean).map((entry) => {
        const parts = split(entry, kind === "participants" ? "|" : ":", false).map((p) => p.trim());
        if (kind === "regions") return parts.length >= 3 ? parts : ["1", parts[0], parts[1] || ""];
        return parts;
      });
    }

    function check(row, input) {
      const picks = picksOf(row);
      if (!picks || !input.classList.contains("pick")) return true;
      const text = input.value.trim();
      if (!text || picks.find(text) || kind === "participants") {  // a partner not in the list is allowed
        input.setCustomValidity(""); return true;
      }
      const what = kind === "regions" ? _("%(vocabulary)s region", { vocabulary: vocabularyName(vocabularyOf(row)) }) : noun;
      const msg = _("“%(text)s” is not a known %(what)s; choose one of: %(choices)s…", { text: text, what: what, choices: picks.near(text).join(", ") });
      input.setCustomValidity(msg);
      message.textContent = msg;
      return false;
    }

    // The share rows of this fieldset: what the group total needs to know.
    function shares() {
      const out = [];
      for (const row of rows.children) {
        const pick = row.querySelector("input.pick"), share = row.querySelector("input.share");
        if (!pick || !share) continue;
        out.push({ row, picked: Boolean(picksOf(row).find(pick.value)), share: share.value.trim(),
          vocabulary: kind === "regions" ? vocabularyOf(row) : "", region: kind === "regions" });
      }
      return out;
    }

    // A row just given a valid choice and no share gets what is left of 100 %, when the
    // other rows already have shares: one step less for the common case, still editable.
    function offerRemainder(row, target) {
      const share = row.querySelector("input.share");
      if (!share || target !== row.querySelector("input.pick") || share.value.trim() || row.dataset.offered) return;
      if (!picksOf(row).find(target.value)) return;
      const left = remainder(row);
      row.dataset.offered = "1";
      if (left !== null && left > 0) share.value = String(left);
    }

    function sync() {
      const parts = [];
      let ok = true;
      message.textContent = "";
      for (const row of rows.children) {
        const inputs = row.querySelectorAll("input, select");
        if (kind === "share" || kind === "pick") {
          const pick = inputs[0];
          ok = check(row, pick) && ok;
          const found = picksOf(row).find(pick.value);
          const share = kind === "share" ? inputs[1].value.trim() : "";
          if (found) parts.push(escape(found.code) + (share ? `:${share}` : ""));
        } else if (kind === "regions") {
          const [vocabulary, pick, shareInput] = inputs;
          ok = check(row, pick) && ok;
          const found = picksOf(row).find(pick.value);
          const share = shareInput.value.trim();
          if (found) {
            parts.push(vocabulary.value === "1" ? escape(found.code) + (share ? `:${share}` : "")
              : `${escape(vocabulary.value)}:${escape(found.code)}:${share}`);
          }
        } else if (kind === "money") {
          const [year, currency, amount] = inputs;
          if (amount.value.trim()) parts.push(`${year.value.trim()}:${currency.value.trim().toUpperCase()}:${amount.value.trim()}`);
        } else if (kind === "participants") {
          const [role, org] = inputs;
          const found = picksOf(row).find(org.value);
          if (org.value.trim()) {
            parts.push(found ? `${role.value}|${escape(found.code)}|||`
              : `${role.value}||${escape(org.dataset.ref)}|${escape(org.value.trim())}|${escape(org.dataset.type)}`);
          }
        }
      }
      compact.value = parts.join(";");
      return ok;
    }

    // The total line; the problem is said (and blocks sending) in one fieldset only.
    function show(text, problem, owner) {
      total.textContent = text;
      total.classList.toggle("off", Boolean(problem));
      const first = rows.querySelector("input.share");
      if (first) first.setCustomValidity(owner ? problem || "" : "");
      if (problem && owner && !message.textContent) message.textContent = problem;
    }

    const self = { set, kind, shares, sync, show };
    function changed() { if (group) syncGroup(group); else { sync(); if (kind === "share") showOwnTotal(); } }

    function showOwnTotal() {
      const given = shares().filter((s) => s.share !== "");
      const sum = round(given.reduce((a, s) => a + Number(s.share), 0));
      show(given.length ? _("Total %(sum)s %% of 100 %%", { sum: sum }) : "",
        given.length && sum !== 100 ? _("The shares add up to %(sum)s %%; make them 100 %% or leave them all empty.", { sum: sum }) : "", true);
    }

    function remainder(row) {
      if (group) return groupRemainder(group, row);
      const others = shares().filter((s) => s.row !== row && s.share !== "");
      return others.length ? round(100 - others.reduce((a, s) => a + Number(s.share), 0)) : null;
    }

    const existing = parse(compact.value);
    if (existing.length) existing.forEach(newRow); else newRow([]);
    add.addEventListener("click", () => { newRow([]).querySelector("input, select").focus(); changed(); });
    if (group) { if (!groups.has(group)) groups.set(group, []); groups.get(group).push(self); }
    self.changed = changed;
    return self;
  }

  function vocabularyName(code) {
    const select = document.getElementById("region-vocabularies");
    const option = select && [...select.options].find((o) => o.value === code);
    return option ? option.textContent : _("vocabulary %(code)s", { code: code });
  }

  // An activity read from an IATI file whose recipient countries the platform holds only in
  // part (the others stay in the published activity): its shares may add up to less than
  // 100, as the server accepts, never to more. The form says so (data-recipients-held).
  function heldInPart() { return Boolean(document.querySelector("form[data-recipients-held='part']")); }
  function offTotal(sum) { return heldInPart() ? sum > 100 : sum !== 100; }

  // Countries and the regions of each vocabulary (IATI); also any other grouped shares.
  function recipientTotals(items) {
    const used = items.filter((s) => s.picked || s.share !== "");
    const given = used.filter((s) => s.share !== "");
    if (!given.length) return { lines: [], problem: "" };
    if (given.length !== used.length) {
      return { lines: [], problem: _("Give a share for every country and region, or for none.") };
    }
    const countries = round(given.filter((s) => !s.region).reduce((a, s) => a + Number(s.share), 0));
    const vocabularies = [...new Set(given.filter((s) => s.region).map((s) => s.vocabulary))].sort();
    if (!vocabularies.length) {
      return { lines: [_("Total %(sum)s %% of 100 %%", { sum: countries })], problem: offTotal(countries) ? _("The shares add up to %(sum)s %%; make them 100 %% or leave them all empty.", { sum: countries }) : "", totals: { "": countries } };
    }
    const lines = [], problems = [], totals = {};
    for (const v of vocabularies) {
      const regions = round(given.filter((s) => s.region && s.vocabulary === v).reduce((a, s) => a + Number(s.share), 0));
      const sum = round(countries + regions);
      totals[v] = sum;
      const withCountries = given.some((s) => !s.region);
      const name = vocabularyName(v);
      lines.push(withCountries
        ? _("Countries %(countries)s %% + %(vocabulary)s regions %(regions)s %% = %(sum)s %% of 100 %%", { countries: countries, vocabulary: name, regions: regions, sum: sum })
        : _("%(vocabulary)s regions %(sum)s %% of 100 %%", { vocabulary: name, sum: sum }));
      if (offTotal(sum)) {
        problems.push(withCountries
          ? _("Countries and %(vocabulary)s regions add up to %(sum)s %%; make them 100 %% or leave all shares empty.", { vocabulary: name, sum: sum })
          : _("%(vocabulary)s regions add up to %(sum)s %%; make them 100 %% or leave all shares empty.", { vocabulary: name, sum: sum }));
      }
    }
    return { lines, problem: problems.join(" "), totals };
  }

  function syncGroup(name) {
    const members = groups.get(name) || [];
    members.forEach((m) => m.sync());
    const items = members.flatMap((m) => m.shares());
    const { lines, problem } = recipientTotals(items);
    const owner = members.find((m) => m.shares().some((s) => s.picked || s.share !== "")) || members[0];
    members.forEach((m) => m.show(lines.join("; "), problem, m === owner));
  }

  function groupRemainder(name, row) {
    const items = (groups.get(name) || []).flatMap((m) => m.shares()).filter((s) => s.row !== row);
    const me = (groups.get(name) || []).flatMap((m) => m.shares()).find((s) => s.row === row);
    const given = items.filter((s) => s.share !== "");
    if (!given.length || !me) return null;
    const countries = given.filter((s) => !s.region).reduce((a, s) => a + Number(s.share), 0);
    const regions = (v) => given.filter((s) => s.region && s.vocabulary === v).reduce((a, s) => a + Number(s.share), 0);
    if (me.region) return round(100 - countries - regions(me.vocabulary));
    const vocabularies = [...new Set(given.filter((s) => s.region).map((s) => s.vocabulary))];
    return round(100 - countries - Math.max(0, ...vocabularies.map(regions)));
  }

  function init() {
    const made = [...document.querySelectorAll("fieldset[data-rows]")].map(setup);
    made.forEach((m) => m.changed());
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();

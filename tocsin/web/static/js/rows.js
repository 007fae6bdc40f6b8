// Repeatable rows with pickers for the programme form (native inputs, no framework, no CDN).
// Each <fieldset data-rows> holds the compact text field the server reads (the same
// syntax as the Excel template); this script hides it, shows one row per entry with a
// searchable picker (labels first, codes as secondary text), keeps the text field in
// step on every change, shows the running percentage total, and checks as you type,
// naming the valid choices. Without JavaScript the compact field stays usable.
(function () {
  "use strict";

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    }
    node.append(...children);
    return node;
  }

  function choicesOf(listId) {
    const list = document.getElementById(listId);
    const byCode = new Map(), byLabel = new Map();
    if (list) {
      for (const o of list.querySelectorAll("option")) {
        const code = o.dataset.code || o.value;
        byCode.set(code.toLowerCase(), { code, label: o.value });
        byLabel.set(o.value.toLowerCase(), { code, label: o.value });
      }
    }
    return {
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
  }

  let counter = 0;
  function uid(prefix) { counter += 1; return `${prefix}-${counter}`; }

  function setup(set) {
    const kind = set.dataset.rows;
    const compact = set.querySelector(".compact input, label.compact input") || set.querySelector("input");
    const compactLabel = compact.closest("label");
    const legend = set.querySelector("legend").textContent;
    const picks = set.dataset.list ? choicesOf(set.dataset.list) : null;
    const noun = (set.dataset.kind || "choice");
    compactLabel.hidden = true;
    const rows = el("div", { class: "row-list" });
    const message = el("p", { class: "field-error", "aria-live": "polite" });
    const total = el("p", { class: "running-total", "aria-live": "polite" });
    const add = el("button", { type: "button", class: "secondary small add-row", text: set.dataset.add || "Add" });
    set.append(rows, total, message, add);

    function pickerInput(value, label) {
      const input = el("input", { list: set.dataset.list, autocomplete: "off", "aria-label": label, class: "pick" });
      input.value = value ? picks.label(value) : "";
      return input;
    }

    function newRow(values) {
      const row = el("div", { class: "row" });
      const n = rows.children.length + 1;
      const remove = el("button", { type: "button", class: "link-button remove-row", "aria-label": `Remove ${noun} ${n}`, text: "Remove" });
      if (kind === "share" || kind === "pick") {
        row.append(pickerInput(values[0], `${legend}: ${noun} ${n}`));
        if (kind === "share") {
          const share = el("input", { type: "number", min: "0", max: "100", step: "any", class: "share", "aria-label": `Share of ${noun} ${n} (%)`, placeholder: "%" });
          share.value = values[1] || "";
          row.append(share, el("span", { class: "unit", text: "%" }));
        }
      } else if (kind === "money") {
        const year = el("input", { type: "number", min: "1990", max: "2100", class: "year", "aria-label": `${legend}: year ${n}` });
        year.value = values[0] || new Date().getFullYear();
        const currency = el("input", { list: "dl-currencies", class: "currency", maxlength: "3", "aria-label": `Currency ${n}` });
        currency.value = values[1] || set.dataset.currency || "EUR";
        const amount = el("input", { type: "number", min: "0", step: "any", class: "amount", "aria-label": `${legend}: amount ${n}` });
        amount.value = values[2] || "";
        row.append(year, currency, amount);
      } else if (kind === "participants") {
        const role = document.getElementById("participant-roles").cloneNode(true);
        role.hidden = false; role.removeAttribute("id");
        role.setAttribute("aria-label", `Role of organisation ${n}`);
        if (values[0]) role.value = values[0];
        const org = pickerInput(values[1], `Organisation ${n}`);
        if (!values[1] && values[3]) org.value = values[3];
        org.dataset.ref = values[2] || ""; org.dataset.type = values[4] || "";
        row.append(role, org);
      }
      row.append(remove);
      remove.addEventListener("click", () => { row.remove(); sync(); });
      row.addEventListener("input", sync);
      row.addEventListener("change", sync);
      rows.append(row);
      return row;
    }

    function parse(text) {
      return text.split(";").map((s) => s.trim()).filter(Boolean)
        .map((part) => part.split(kind === "participants" ? "|" : ":"));
    }

    function check(input) {
      if (!picks || !input.classList.contains("pick")) return true;
      const text = input.value.trim();
      if (!text || picks.find(text)) { input.setCustomValidity(""); return true; }
      if (kind === "participants") { input.setCustomValidity(""); return true; }  // a name not in the list is allowed
      const msg = `“${text}” is not a known ${noun}; choose one of: ${picks.near(text).join(", ")}…`;
      input.setCustomValidity(msg);
      message.textContent = msg;
      return false;
    }

    function sync() {
      const parts = [];
      let sum = 0, shares = 0, ok = true;
      message.textContent = "";
      for (const row of rows.children) {
        const inputs = row.querySelectorAll("input, select");
        if (kind === "share" || kind === "pick") {
          const pick = inputs[0];
          ok = check(pick) && ok;
          const found = picks.find(pick.value);
          const share = kind === "share" ? inputs[1].value.trim() : "";
          if (share) { sum += Number(share); shares += 1; }
          if (found) parts.push(share ? `${found.code}:${share}` : found.code);
        } else if (kind === "money") {
          const [year, currency, amount] = inputs;
          if (amount.value.trim()) parts.push(`${year.value.trim()}:${currency.value.trim().toUpperCase()}:${amount.value.trim()}`);
        } else if (kind === "participants") {
          const [role, org] = inputs;
          const found = picks.find(org.value);
          if (org.value.trim()) {
            parts.push(found ? `${role.value}|${found.code}|||` : `${role.value}||${org.dataset.ref}|${org.value.trim()}|${org.dataset.type}`);
          }
        }
      }
      compact.value = parts.join(";");
      if (kind === "share") {
        const rounded = Math.round(sum * 100) / 100;
        total.textContent = shares ? `Total ${rounded} % of 100 %` : "";
        total.classList.toggle("off", shares > 0 && rounded !== 100);
        const first = rows.querySelector("input.share");
        if (first) first.setCustomValidity(shares > 0 && rounded !== 100 ? `The shares of ${legend.toLowerCase()} add up to ${rounded} %; make them 100 % or leave them all empty.` : "");
        if (shares > 0 && rounded !== 100 && ok) message.textContent = `The shares add up to ${rounded} %; make them 100 % or leave them all empty.`;
      }
    }

    const existing = parse(compact.value);
    if (existing.length) existing.forEach(newRow); else newRow([]);
    add.addEventListener("click", () => { newRow([]).querySelector("input, select").focus(); sync(); });
    sync();
  }

  function init() {
    document.querySelectorAll("fieldset[data-rows]").forEach(setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();

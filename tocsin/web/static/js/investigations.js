// Investigations: upload with job progress, the network diagram (Cytoscape),
// the trace Sankey and the account timeline (ECharts). No inline script: the
// pages pass ids through data-* attributes and everything else comes from
// /api/v1/investigations. Text from the data is always set with textContent.
"use strict";

(() => {
  const _ = window.tocsinText;
  const ngettext = window.tocsinPlural;
  const LANG = document.documentElement.lang || "en";
  const API = "/api/v1/investigations";
  const KIND_STYLE = {
    domestic: { color: "#4a6fa5", shape: "ellipse" },
    unknown: { color: "#95a5a6", shape: "ellipse" },
    cash: { color: "#2e7d32", shape: "diamond" },
    foreign: { color: "#8e44ad", shape: "hexagon" },
    crypto: { color: "#b35c00", shape: "star" },
    merchant: { color: "#616a6b", shape: "round-rectangle" },
  };
  const FLAGGED = "#c0392b";
  // An account's kind as the page's language names it (the data keep the code).
  function kindName(kind) {
    const names = { domestic: _("domestic"), unknown: _("unknown"), cash: _("cash"),
      foreign: _("foreign"), crypto: _("crypto"), merchant: _("merchant") };
    return names[kind] || kind;
  }

  // ------------------------------------------------------------------ helpers

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // A chart tooltip built from text nodes: ECharts inserts a returned string as HTML, so
  // account ids, names and other text from the data never go into a string.
  function tip(...lines) {
    return el("div", { class: "chart-tip" },
      ...lines.filter((line) => line !== null && line !== undefined && line !== "")
        .map((line) => el("div", {}, line)));
  }

  // A translated sentence with an element (a link) where its %(name)s placeholder is (the
  // message is written out in _() so that the catalogs find it).
  function around(text, name, node) {
    const [before, after] = text.split(`%(${name})s`);
    return [before, node, after === undefined ? "" : after];
  }

  function imported(done) {
    return el("p", { class: "ok", role: "status" }, ...around(_("Imported %(set)s (%(count)s transactions).",
      { count: Number(done.transactions).toLocaleString(LANG) }), "set", el("a", { href: done.url }, done.name)));
  }

  // An amount of the set with its currency: the set's pages say which (data-currency),
  // the amounts of a set being all in its base currency.
  function money(value) {
    const holder = document.querySelector("[data-currency]");
    const currency = holder ? holder.dataset.currency : "";
    const amount = decimal(value, 2);
    return currency ? _("%(amount)s %(currency)s", { amount: amount, currency: currency }) : amount;
  }

  // a number with `digits` decimals, written the page's language's way
  function decimal(value, digits) {
    return Number(value).toLocaleString(LANG, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  async function problemText(response) {
    try {
      const body = await response.json();
      const parts = (body.problems || []).map((p) => `${p.location}: ${p.reason_shown || p.reason}`);
      return [body.detail_shown || body.detail, ...parts].filter(Boolean).join(" — ");
    } catch (_err) {
      return _("request failed (%(status)s)", { status: response.status });
    }
  }

  async function call(url, options) {
    const response = await fetch(url, { credentials: "same-origin", ...options });
    if (!response.ok) throw new Error(await problemText(response));
    return { status: response.status, body: await response.json() };
  }

  function postJson(url, csrf, payload) {
    return call(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(payload),
    });
  }

  // Poll a job until it is done; onProgress(fraction, message) on every poll. The job's
  // texts come in the page's language in `shown` (the other fields stay English).
  async function waitForJob(job, onProgress) {
    let current = job;
    for (;;) {
      const shown = current.shown || current;
      onProgress(current.progress, shown.message);
      if (current.state === "done") return current.result;
      if (current.state === "failed" || current.state === "interrupted") {
        // each problem once: a single problem is already the error's own text
        const parts = (shown.problems || []).map((p) => `${p.location}: ${p.reason}`)
          .filter((text) => !(shown.error || "").includes(text));
        throw new Error([shown.error, ...parts].filter(Boolean).join(" — "));
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
      current = (await call(`${API}/jobs/${current.id}`)).body;
    }
  }

  // A POST that answers either with the result (200) or with a job to poll (202).
  async function runMaybeJob(url, csrf, payload, onProgress) {
    const { status, body } = await postJson(url, csrf, payload);
    if (status === 202) return waitForJob(body.job, onProgress);
    onProgress(1, _("done"));
    return body;
  }

  function dateParam(value, endOfDay) {
    if (!value) return null;
    return endOfDay ? `${value}T23:59:59` : `${value}T00:00:00`;
  }

  // ------------------------------------------------------------------ upload

  // Once an import has added a set, the list of sets (and of jobs) as the server now writes
  // it: the page still said "No transaction set you may read yet" beside "Imported …".
  async function refreshLists() {
    try {
      const response = await fetch("/investigations", { credentials: "same-origin" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const id of ["sets", "jobs"]) {
        const now = document.getElementById(id);
        const then = fresh.getElementById(id);
        if (!then) continue;
        const node = document.importNode(then, true);
        if (now) now.replaceWith(node);
        else (document.getElementById("import-status") || document.getElementById("sets")).after(node);
      }
    } catch (_err) {
      // the link of the result still leads to the set
    }
  }

  function initUpload() {
    const form = document.getElementById("upload-form");
    if (!form) return;
    const status = document.getElementById("upload-status");
    const bar = document.getElementById("upload-progress");
    const message = document.getElementById("upload-message");
    const result = document.getElementById("upload-result");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      status.hidden = false;
      result.replaceChildren();
      message.textContent = _("uploading…");
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const { body } = await call(form.action, {
          method: "POST",
          headers: { "X-CSRF-Token": form.dataset.csrf },
          body: new FormData(form),
        });
        const done = await waitForJob(body.job, (fraction, text) => {
          bar.value = fraction;
          message.textContent = text;
        });
        result.append(imported(done));
        (done.notes_shown || done.notes || []).forEach((note) => result.append(el("p", { class: "note" }, note)));
        form.reset();
        refreshLists();
      } catch (err) {
        message.textContent = "";
        result.append(el("p", { class: "error", role: "alert" }, err.message));
      } finally {
        button.disabled = false;
      }
    });
  }

  // ------------------------------------------------------------------ guided import

  // The list page after the guided import: follow the import job to its end.
  function initImportStatus() {
    const box = document.getElementById("import-status");
    if (!box) return;
    const bar = document.getElementById("import-progress");
    const message = document.getElementById("import-message");
    const result = document.getElementById("import-result");
    call(`${API}/jobs/${encodeURIComponent(box.dataset.job)}`).then(({ body }) =>
      waitForJob(body, (fraction, text) => {
        bar.value = fraction || 0;
        message.textContent = text || _("Importing…");
      })).then((done) => {
      bar.hidden = true;
      message.textContent = "";
      result.append(imported(done));
      refreshLists();
    }).catch((err) => {
      bar.hidden = true;
      message.textContent = "";
      result.append(el("p", { class: "error", role: "alert" }, err.message));
    });
  }

  // The mapping form: bring the problem list into view and focus once, and never send
  // the import twice.
  function initWizard() {
    const problems = document.getElementById("wizard-problems");
    if (problems) problems.focus();
    const form = document.getElementById("wizard-form");
    if (!form) return;
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent === "import") { event.preventDefault(); return; }
      if (event.submitter && event.submitter.value === "import") form.dataset.sent = "import";
      if (pending) pending.abort();
    });
    livePreview(form);
  }

  // The preview follows the mapping: a corrected column, date or amount format asks the
  // server for the same page the "Update the preview" button would (debounced, the last
  // answer wins) and swaps in its preview and problem list. Without JavaScript the button
  // does it.
  let pending = null;
  function livePreview(form) {
    const choices = form.querySelector(".wizard-columns");
    const button = form.querySelector("button[name=action][value=preview]");
    if (!choices || !button || !window.fetch || !window.DOMParser) return;
    button.closest("p").hidden = true;
    let timer = null, asked = 0;
    const section = () => document.getElementById("preview-heading").closest("section");

    function swap(fresh) {
      const next = fresh.getElementById("preview-heading");
      if (!next) return false;
      section().replaceWith(document.importNode(next.closest("section"), true));
      const old = document.getElementById("wizard-problems");
      const found = fresh.getElementById("wizard-problems");
      if (old) old.remove();
      if (found) {
        found.removeAttribute("tabindex");  // announced as an alert; focus stays in the form
        document.getElementById("wizard-layout").before(document.importNode(found, true));
      }
      return true;
    }

    function refresh() {
      if (form.dataset.sent === "import") return;
      const body = new FormData(form);
      body.set("action", "preview");
      if (pending) pending.abort();
      pending = new AbortController();
      const mine = ++asked;
      const status = document.getElementById("preview-status");
      if (status) status.textContent = _("Updating the preview…");
      fetch(form.getAttribute("action"), { method: "POST", body, credentials: "same-origin", signal: pending.signal })
        .then((response) => {
          if (response.redirected) { window.location.assign(response.url); return null; }
          return response.text();
        })
        .then((html) => {
          if (html === null || mine !== asked) return;
          if (!swap(new DOMParser().parseFromString(html, "text/html"))) button.closest("p").hidden = false;
        })
        .catch((err) => {
          if (err.name === "AbortError") return;
          button.closest("p").hidden = false;  // the button still works
          const now = document.getElementById("preview-status");
          if (now) now.textContent = _("The preview could not be updated; use the button below the choices.");
        });
    }

    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 350);
    };
    choices.addEventListener("change", later);
    // the currency amounts are converted into decides which rates the rows need
    const base = form.querySelector("#base_currency");
    if (base) base.addEventListener("change", later);
  }

  // ------------------------------------------------------------------ network

  function initNetwork() {
    const root = document.getElementById("investigation");
    if (!root || !window.cytoscape) return;
    const setId = root.dataset.set;
    const csrf = root.dataset.csrf;
    const status = document.getElementById("graph-status");
    const detail = document.getElementById("detail");
    const filters = document.getElementById("graph-filters");
    const findingsList = document.getElementById("findings");
    let findings = [];
    const flaggedAccounts = new Map(); // account -> [finding]

    const cy = window.cytoscape({
      container: document.getElementById("graph"),
      style: [
        { selector: "node", style: {
          "background-color": "data(color)", shape: "data(shape)", label: "data(id)",
          "font-size": 9, "text-valign": "bottom", "text-margin-y": 3, width: 22, height: 22,
          "border-width": 0 } },
        { selector: "node[?start]", style: { width: 30, height: 30, "border-width": 3, "border-color": "#12263a" } },
        { selector: "node[?flagged]", style: { "border-width": 4, "border-color": FLAGGED } },
        { selector: "node[?selectedFinding]", style: { "background-color": FLAGGED } },
        { selector: "edge", style: {
          width: "data(width)", "line-color": "#9aa7b4", "target-arrow-color": "#9aa7b4",
          "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.8 } },
        { selector: "edge[?flagged]", style: { "line-color": FLAGGED, "target-arrow-color": FLAGGED } },
        { selector: ":selected", style: { "overlay-opacity": 0.15, "overlay-color": "#0b5cad" } },
      ],
    });
    window.tocsinGraph = cy; // for the browser test and the console

    function filterParams() {
      const data = new FormData(filters);
      const params = new URLSearchParams();
      params.set("hops", data.get("hops") || "1");
      const since = dateParam(data.get("since"), false);
      const until = dateParam(data.get("until"), true);
      if (since) params.set("since", since);
      if (until) params.set("until", until);
      if (Number(data.get("min_amount")) > 0) params.set("min_amount", data.get("min_amount"));
      return params;
    }

    function nodeData(node) {
      const style = KIND_STYLE[node.kind] || KIND_STYLE.unknown;
      return { ...node, color: style.color, shape: style.shape,
               flagged: flaggedAccounts.has(node.id), selectedFinding: false };
    }

    function edgeFlagged(edge) {
      const a = flaggedAccounts.get(edge.source) || [];
      const b = new Set((flaggedAccounts.get(edge.target) || []).map((f) => f.id));
      return a.some((f) => b.has(f.id));
    }

    function addGraph(graph, replace) {
      if (replace) cy.elements().remove();
      const elements = [];
      for (const node of graph.nodes) {
        const existing = cy.getElementById(node.id);
        if (existing.nonempty()) {
          if (node.start) existing.data("start", true);
        } else {
          elements.push({ group: "nodes", data: nodeData(node) });
        }
      }
      for (const edge of graph.edges) {
        if (cy.getElementById(edge.id).empty()) {
          elements.push({ group: "edges", data: { ...edge,
            width: Math.max(1, Math.min(8, Math.log10(edge.total + 1) - 1)),
            flagged: edgeFlagged(edge) } });
        }
      }
      cy.add(elements);
      // A force layout reads best but grows with the square of the nodes; big
      // neighbourhoods (a merchant, a cash desk) get rings by degree instead.
      const layout = cy.nodes().length > 80
        ? { name: "concentric", animate: false, concentric: (n) => n.degree(), levelWidth: () => 2,
            minNodeSpacing: 6 }
        : { name: "cose", animate: false, nodeDimensionsIncludeLabels: true, numIter: 400 };
      cy.layout(layout).run();
      const shown = { accounts: cy.nodes().length, links: cy.edges().length };
      status.textContent = graph.truncated
        ? _("%(accounts)s accounts, %(links)s payment links shown (the heaviest links only; narrow the filters to see the rest)", shown)
        : _("%(accounts)s accounts, %(links)s payment links shown", shown);
      renderNodeList();
    }

    async function loadAccount(account, replace) {
      status.textContent = _("loading %(account)s…", { account: account });
      const params = filterParams();
      params.append("account", account);
      if (!replace) params.set("hops", "1");
      try {
        const { body } = await call(`${API}/sets/${setId}/graph?${params}`);
        addGraph(body, replace);
      } catch (err) {
        status.textContent = err.message;
      }
    }

    function renderNodeList() {
      const list = document.getElementById("node-list");
      list.replaceChildren(...cy.nodes().sort((a, b) => a.id().localeCompare(b.id())).map((n) =>
        el("li", {}, el("span", {}, n.id(), el("small", {}, ` ${kindName(n.data("kind"))}`)),
          el("button", { type: "button", class: "secondary", "aria-label": _("Expand %(account)s", { account: n.id() }),
                         onclick: () => selectAccount(n.id(), true) }, _("expand")))));
    }

    // each detector once, with how many of the findings are its own: "Bipartite, Rapid pass-through (4)"
    function detectorCounts(findings) {
      const counts = new Map();
      for (const f of findings) {
        const title = f.detector_shown || f.detector;
        counts.set(title, (counts.get(title) || 0) + 1);
      }
      return [...counts].map(([title, n]) => (n > 1 ? `${title} (${n})` : title)).join(", ");
    }
    async function showAccount(account) {
      const { body } = await call(`${API}/sets/${setId}/accounts/${encodeURIComponent(account)}`);
      const flagged = flaggedAccounts.get(account) || [];
      detail.replaceChildren(
        el("h2", {}, _("Account %(account)s", { account: body.id })),
        el("dl", { class: "facts" },
          el("dt", {}, _("Kind")), el("dd", {}, body.end_point ? _("%(kind)s (end point)", { kind: kindName(body.kind) }) : kindName(body.kind)),
          el("dt", {}, _("Holder")), el("dd", {}, body.holder || _("unknown")),
          el("dt", {}, _("Bank")), el("dd", {}, [body.bank, body.country].filter(Boolean).join(", ") || _("unknown")),
          el("dt", {}, _("In")), el("dd", {}, ngettext("%(count)s payment, %(amount)s", "%(count)s payments, %(amount)s", body.payments_in, { count: body.payments_in, amount: money(body.amount_in) })),
          el("dt", {}, _("Out")), el("dd", {}, ngettext("%(count)s payment, %(amount)s", "%(count)s payments, %(amount)s", body.payments_out, { count: body.payments_out, amount: money(body.amount_out) })),
          el("dt", {}, _("Active")), el("dd", {}, `${(body.first || "").slice(0, 10)} – ${(body.last || "").slice(0, 10)}`)),
        el("p", {},
          el("a", { class: "chip", href: `/investigations/sets/${setId}/trace?account=${encodeURIComponent(account)}` }, _("trace from here")), " ",
          el("a", { class: "chip", href: `/investigations/sets/${setId}/timeline?account=${encodeURIComponent(account)}` }, _("timeline"))),
        // replaceChildren writes null as the word "null": an account in no finding adds nothing
        ...(flagged.length ? [el("p", {}, ngettext("In %(count)s finding: %(detectors)s", "In %(count)s findings: %(detectors)s", flagged.length, { count: flagged.length, detectors: detectorCounts(flagged) }))] : []));
    }

    // the selected account travels with the tabs (and a reload keeps it)
    function carryAccount(account) {
      const query = `?account=${encodeURIComponent(account)}`;
      document.querySelectorAll("#set-tabs a[data-view]").forEach((tab) => {
        tab.setAttribute("href", `/investigations/sets/${setId}${tab.dataset.view}${query}`);
      });
      history.replaceState(null, "", `/investigations/sets/${setId}${query}`);
    }

    async function selectAccount(account, expand) {
      carryAccount(account);
      try {
        await showAccount(account);
        if (expand) await loadAccount(account, false);
      } catch (err) {
        status.textContent = err.message;
      }
    }

    cy.on("tap", "node", (event) => selectAccount(event.target.id(), true));
    cy.on("tap", "edge", (event) => {
      const d = event.target.data();
      detail.replaceChildren(el("h2", {}, _("Payments")),
        el("p", {}, `${d.source} → ${d.target}`),
        el("p", {}, ngettext("%(count)s payment, total %(amount)s", "%(count)s payments, total %(amount)s", d.payments, { count: d.payments, amount: money(d.total) })),
        el("p", { class: "meta" }, `${(d.first || "").slice(0, 16)} – ${(d.last || "").slice(0, 16)}`));
    });

    // search
    const hits = document.getElementById("account-hits");
    document.getElementById("account-search").addEventListener("submit", async (event) => {
      event.preventDefault();
      const q = document.getElementById("account-query").value.trim();
      if (!q) return;
      try {
        const { body } = await call(`${API}/sets/${setId}/accounts?q=${encodeURIComponent(q)}`);
        hits.replaceChildren(...(body.length ? body.map((a) => el("li", {},
          el("span", {}, a.account_id, el("small", {}, " " + ngettext("%(kind)s · %(count)s payment", "%(kind)s · %(count)s payments", a.payments, { kind: kindName(a.kind), count: a.payments }))),
          el("button", { type: "button", class: "secondary", "aria-label": _("Show %(account)s", { account: a.account_id }),
                         onclick: () => { loadAccount(a.account_id, true); selectAccount(a.account_id, false); } }, _("show"))))
          : [el("li", {}, _("No account matches."))]));
      } catch (err) {
        hits.replaceChildren(el("li", { class: "error" }, err.message));
      }
    });

    filters.addEventListener("submit", (event) => {
      event.preventDefault();
      const starts = cy.nodes("[?start]").map((n) => n.id());
      if (!starts.length) { status.textContent = _("Search an account first."); return; }
      const params = filterParams();
      for (const s of starts) params.append("account", s);
      call(`${API}/sets/${setId}/graph?${params}`).then(({ body }) => addGraph(body, true))
        .catch((err) => { status.textContent = err.message; });
    });

    // findings
    // Ranked runs come flagged first, then by score after ranking; runs stored before
    // ranking have neither, so order them the same way here.
    function indexFindings(list) {
      findings = (list || []).map((f, i) => ({ f, i }))
        .sort((a, b) => (Number(Boolean(b.f.flagged)) - Number(Boolean(a.f.flagged))) || (a.i - b.i))
        .map((x) => x.f);
      flaggedAccounts.clear();
      for (const f of findings) {
        for (const a of f.accounts) {
          if (!flaggedAccounts.has(a)) flaggedAccounts.set(a, []);
          flaggedAccounts.get(a).push(f);
        }
      }
      cy.nodes().forEach((n) => n.data("flagged", flaggedAccounts.has(n.id())));
      cy.edges().forEach((e) => e.data("flagged", edgeFlagged(e.data())));
      findingsList.replaceChildren(...findings.map((f) => el("li", {
        "data-finding": f.id, "data-flagged": f.flagged ? "true" : "false", "aria-selected": "false",
      },
        el("button", { type: "button", onclick: () => showFinding(f) },
          el("span", { class: "score", title: _("score after ranking") }, decimal(f.score, 2)),
          f.flagged ? el("em", { class: "flag" }, _("flagged") + " ") : "",
          el("strong", {}, f.detector_shown || f.detector), el("br", {}),
          el("small", {}, ngettext("%(subject)s · %(count)s account · %(amount)s", "%(subject)s · %(count)s accounts · %(amount)s",
            f.accounts.length, { subject: f.subject, count: f.accounts.length.toLocaleString(LANG), amount: money(f.amount) }))))));
      if (!findings.length) findingsList.append(el("li", {}, _("No findings.")));
    }

    function findingsSummary(result) {
      const flagged = result.findings.filter((f) => f.flagged).length;
      const r = result.ranking;
      const figure = (n) => Number(n).toLocaleString(LANG);
      const counts = { count: figure(result.findings.length), flagged: figure(flagged) };
      return r ? ngettext("%(count)s finding, %(flagged)s flagged (%(accounts)s of %(total)s accounts flagged)",
        "%(count)s findings, %(flagged)s flagged (%(accounts)s of %(total)s accounts flagged)",
        result.findings.length, { ...counts, accounts: figure(r.flagged), total: figure(r.set_accounts) })
        : ngettext("%(count)s finding, %(flagged)s flagged", "%(count)s findings, %(flagged)s flagged",
          result.findings.length, counts);
    }

    async function showFinding(finding) {
      for (const li of findingsList.querySelectorAll("li")) {
        li.setAttribute("aria-selected", li.dataset.finding === finding.id ? "true" : "false");
      }
      // the set's downloads (named as the Export section names them), for this finding
      const chips = [];
      if (root.dataset.canExport !== "false") {
        for (const link of document.querySelectorAll("#set-exports a[data-format]")) {
          const fmt = encodeURIComponent(link.dataset.format);
          chips.push(el("a", { class: "chip", href: `${API}/sets/${setId}/export?format=${fmt}&finding=${finding.id}` }, link.textContent), " ");
        }
      }
      // each count a clause of its own, agreeing with it (the extractor reads no message
      // inside another's values)
      const accountCount = ngettext("%(count)s account", "%(count)s accounts", finding.accounts.length,
        { count: finding.accounts.length.toLocaleString(LANG) });
      const paymentCount = ngettext("%(count)s payment", "%(count)s payments", finding.transactions.length,
        { count: finding.transactions.length.toLocaleString(LANG) });
      detail.replaceChildren(
        el("h2", {}, _("Finding: %(detector)s", { detector: finding.detector_shown || finding.detector })),
        el("p", { class: "reason", id: "finding-reason" }, finding.reason_shown || finding.reason),
        finding.adjustment ? el("p", { class: "reason", id: "finding-adjustment" }, finding.adjustment_shown || finding.adjustment) : "",
        el("p", { class: "meta", id: "finding-score" }, _("score %(score)s", { score: decimal(finding.score, 2) }) +
          (finding.detector_score !== undefined && finding.detector_score !== finding.score
            ? " " + _("(detector %(score)s)", { score: decimal(finding.detector_score, 2) }) : "") +
          (finding.flagged ? " · " + _("flags %(flags)s", { flags: finding.flags.join(", ") }) : "") +
          " · " + _("%(accounts)s · %(payments)s · %(amount)s",
            { accounts: accountCount, payments: paymentCount, amount: money(finding.amount) })),
        el("p", {}, el("a", { class: "chip", href: `/investigations/sets/${setId}/trace?account=${encodeURIComponent(finding.subject)}` }, _("trace the subject")), " ", ...chips));
      try {
        const { body } = await call(`${API}/sets/${setId}/findings/${finding.id}/graph`);
        addGraph(body, true);
        const members = new Set(finding.accounts);
        cy.nodes().forEach((n) => n.data("selectedFinding", members.has(n.id())));
      } catch (err) {
        status.textContent = err.message;
      }
    }

    const detectButton = document.getElementById("run-detect");
    const detectStatus = document.getElementById("detect-status");
    detectButton.addEventListener("click", async () => {
      detectButton.disabled = true;
      detectStatus.hidden = false;
      const bar = detectStatus.querySelector("progress");
      const text = detectStatus.querySelector("span");
      try {
        const result = await runMaybeJob(`${API}/sets/${setId}/detect`, csrf, { background: true },
          (fraction, message) => { bar.value = fraction; text.textContent = message; });
        indexFindings(result.findings);
        text.textContent = findingsSummary(result) +
          (result.stored === false ? " " + _("(a preview, not stored: you may not change this set)") : "");
      } catch (err) {
        text.textContent = err.message;
      } finally {
        detectButton.disabled = false;
      }
    });

    // risk ranking: each account with the contributions that make up its score
    const scoreButton = document.getElementById("run-score");
    const scoreStatus = document.getElementById("score-status");
    const risks = document.getElementById("risks");
    function showRisk(risk) {
      loadAccount(risk.subject, true);
      showAccount(risk.subject).then(() => {
        detail.append(el("h3", {}, _("Risk %(score)s because", { score: decimal(risk.score, 2) })),
          el("ul", { class: "contributions" }, ...risk.contributions.map((c) =>
            el("li", {}, el("strong", {}, `${c.title_shown || c.name} +${decimal(c.value, 2)}: `), c.detail_shown || c.detail))));
      }).catch((err) => { status.textContent = err.message; });
    }
    // the supervised model: score and the features that raised it, in words, each with
    // its share of all that raised the score (SHAP values on the log-odds)
    const modelSource = document.getElementById("model-source");
    const modelAccounts = document.getElementById("model-accounts");
    const modelPayments = document.getElementById("model-payments");
    function reasonText(r) {
      return r.text_shown || r.text || r.feature;
    }
    function modelItem(r, onclick) {
      return el("li", {}, el("button", { type: "button", onclick },
        el("span", { class: "score" }, decimal(r.score, 3)), el("strong", {}, r.subject),
        r.flagged ? el("em", {}, " " + _("flagged")) : "", el("br", {}),
        el("small", {}, r.reasons.map(reasonText).join("; "))));
    }
    // a payment as a person asks about it: who paid whom, when, how much, where it was read
    function paymentFacts(id, p) {
      const account = (name) => el("button", { type: "button", class: "secondary", onclick: () => selectAccount(name, true) }, name);
      const written = p.currency_orig && p.amount_orig !== undefined
        ? _("%(amount)s %(currency)s", { amount: decimal(p.amount_orig, 2), currency: p.currency_orig }) : "";
      const amount = money(p.amount);
      return [
        el("dl", { class: "facts" },
          el("dt", {}, _("Time")), el("dd", {}, (p.time || "").replace("T", " ").replace("Z", " UTC")),
          el("dt", {}, _("Payer")), el("dd", {}, account(p.source)),
          el("dt", {}, _("Payee")), el("dd", {}, account(p.target)),
          el("dt", {}, _("Amount")), el("dd", {}, written && written !== amount ? `${amount} (${written})` : amount),
          p.channel ? el("dt", {}, _("Channel")) : null, p.channel ? el("dd", {}, p.channel) : null,
          p.source_file ? el("dt", {}, _("Read from")) : null,
          p.source_file ? el("dd", {}, _("line %(line)s of %(file)s", { line: Number(p.source_line).toLocaleString(LANG), file: p.source_file })) : null),
        el("p", {}, el("a", { class: "chip", href: `/investigations/sets/${setId}/trace?transaction=${encodeURIComponent(id)}` }, _("trace from here")))];
    }
    function showModelReasons(title, r) {
      detail.append(el("h3", {}, _("%(title)s %(score)s because", { title: title, score: decimal(r.score, 3) })),
        el("ul", { class: "contributions" }, ...r.reasons.map((x) => el("li", {}, reasonText(x)))));
    }
    function showModel(result) {
      // shown once the ranking has run: empty headings before it say nothing
      document.getElementById("model-part").hidden = !result;
      if (!result || result.error) {
        modelSource.textContent = result ? result.error_shown || result.error : "";
        modelAccounts.replaceChildren();
        modelPayments.replaceChildren();
        return;
      }
      modelSource.textContent = _("%(source)s: %(accounts)s accounts and %(payments)s payments flagged",
        { source: result.source_shown || result.source, accounts: Number(result.flagged_accounts).toLocaleString(LANG),
          payments: Number(result.flagged_transactions).toLocaleString(LANG) });
      modelAccounts.replaceChildren(...result.accounts.map((r) => modelItem(r, () => {
        loadAccount(r.subject, true);
        showAccount(r.subject).then(() => showModelReasons(_("Model score"), r))
          .catch((err) => { status.textContent = err.message; });
      })));
      modelPayments.replaceChildren(...result.transactions.map((r) => modelItem(r, () => {
        detail.replaceChildren(el("h2", {}, _("Payment %(id)s", { id: r.subject })),
          ...(r.payment ? paymentFacts(r.subject, r.payment) : []));
        showModelReasons(_("Model score"), r);
      })));
    }
    scoreButton.addEventListener("click", async () => {
      scoreButton.disabled = true;
      scoreStatus.hidden = false;
      const bar = scoreStatus.querySelector("progress");
      const text = scoreStatus.querySelector("span");
      try {
        const result = await runMaybeJob(`${API}/sets/${setId}/score`, csrf, { top: 25, background: true },
          (fraction, message) => { bar.value = fraction; text.textContent = message; });
        risks.replaceChildren(...result.accounts.map((r) => el("li", {},
          el("button", { type: "button", onclick: () => showRisk(r) },
            el("span", { class: "score" }, decimal(r.score, 2)), el("strong", {}, r.subject), el("br", {}),
            el("small", {}, r.contributions.slice(0, 2).map((c) => c.title_shown || c.name).join(", "))))));
        text.textContent = _("top %(count)s of %(scored)s accounts",
          { count: result.accounts.length.toLocaleString(LANG), scored: Number(result.scored).toLocaleString(LANG) });
        showModel(result.model);
        if (!findings.length) {
          const stored = await call(`${API}/sets/${setId}/findings`);
          if (stored.body.findings) indexFindings(stored.body.findings);
        }
      } catch (err) {
        text.textContent = err.message;
      } finally {
        scoreButton.disabled = false;
      }
    });

    call(`${API}/sets/${setId}/findings`).then(({ body }) => {
      if (body.findings) indexFindings(body.findings);
      else findingsList.replaceChildren(el("li", {}, _("The detectors have not run on this set yet.")));
    }).catch((err) => { status.textContent = err.message; });

    if (root.dataset.account) {
      loadAccount(root.dataset.account, true);
      selectAccount(root.dataset.account, false);
    }
  }

  // ------------------------------------------------------------------ trace

  function initTrace() {
    const root = document.getElementById("trace-view");
    if (!root || !window.echarts) return;
    const form = document.getElementById("trace-form");
    const status = document.getElementById("trace-status");
    const chart = window.echarts.init(document.getElementById("sankey"));
    window.addEventListener("resize", () => chart.resize());

    function split(value) {
      return String(value || "").split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
    }

    function draw(result) {
      const { sankey, trace } = result;
      chart.setOption({
        tooltip: { trigger: "item", formatter: (p) => p.dataType === "edge"
          ? tip(`${String(p.data.source).split(" · ")[0]} → ${String(p.data.target).split(" · ")[0]}`,
            money(p.data.value))
          : tip(`${p.data.account} (${kindName(p.data.kind)})`, p.data.end_shown || p.data.end) },
        series: [{
          type: "sankey", emphasis: { focus: "adjacency" }, nodeAlign: "left", layoutIterations: 16,
          data: sankey.nodes.map((n) => ({ ...n, itemStyle: { color: (KIND_STYLE[n.kind] || KIND_STYLE.unknown).color,
            borderColor: n.end ? FLAGGED : undefined, borderWidth: n.end ? 2 : 0 } })),
          links: sankey.links,
          label: { formatter: (p) => p.data.end && p.name.includes(" · ") && !p.name.includes("hop")
            ? p.data.end_shown || p.name.split(" · ")[1] : p.data.account, fontSize: 10 },
          lineStyle: { color: "gradient", opacity: 0.4 },
        }],
      }, true);
      const steps = document.getElementById("steps");
      steps.replaceChildren(...sankey.steps.map((s) => el("li", {},
        s.txn_id ? el("code", {}, s.txn_id) : null, s.txn_id ? " " : null,
        s.explanation_shown || s.explanation,
        s.end ? el("span", { class: "end" }, " — " + _("ends: %(end)s", { end: s.end_shown || s.end })) : null)));
      const ends = document.getElementById("end-points");
      ends.replaceChildren(...trace.end_points.map((p) => el("tr", {},
        el("td", {}, p.account), el("td", {}, kindName(p.kind)), el("td", {}, p.end_shown || p.end),
        el("td", { class: "num" }, money(p.amount)), el("td", { class: "num" }, p.paths))));
      status.textContent = trace.truncated
        ? _("%(count)s traced payments (stopped at the size limit; narrow the trace)", { count: trace.nodes })
        : _("%(count)s traced payments", { count: trace.nodes });
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const payload = {
        accounts: split(data.get("accounts")),
        transactions: split(data.get("transactions")),
        direction: data.get("direction"),
        rule: data.get("rule"),
        hops: Number(data.get("hops")),
        window_hours: Number(data.get("window_days")) * 24,
        min_amount: Number(data.get("min_amount")),
      };
      status.textContent = _("tracing…");
      try {
        draw(await runMaybeJob(`${API}/sets/${root.dataset.set}/trace`, root.dataset.csrf, payload,
          (fraction, message) => { status.textContent = message; }));
      } catch (err) {
        status.textContent = err.message;
      }
    });
    if (form.elements.accounts.value || form.elements.transactions.value) form.requestSubmit();
  }

  // ------------------------------------------------------------------ Bitcoin trace

  // The Bitcoin tab's trace drawn as a Sankey (ECharts) and a graph (Cytoscape), from the
  // trace API's "flows"; the page's tables hold the same trace without JavaScript.
  function initBitcoinTrace() {
    const root = document.getElementById("btc-trace-view");
    if (!root) return;
    const status = document.getElementById("btc-flow-status");
    const detail = document.getElementById("btc-node-detail");
    const COLORS = { address: "#4a6fa5", transaction: "#b35c00" };
    const shorten = (text, size) => (String(text).length > size + 2 ? `${String(text).slice(0, size)}…` : String(text));

    function nodeLines(n) {
      return [n.kind === "transaction" ? _("transaction %(id)s", { id: n.label }) : n.label,
        n.hop !== undefined ? _("hop %(hop)s", { hop: n.hop }) : (n.hops ? _("hops %(hops)s", { hops: n.hops.join(", ") }) : null),
        n.start ? _("where the trace starts") : null,
        ...(n.ends_shown || n.ends || []).map((e) => _("ends: %(end)s", { end: e })), ...(n.tags || []).map((t) => _("tag: %(tag)s", { tag: t }))];
    }

    function drawSankey(flows) {
      const chart = window.echarts.init(document.getElementById("btc-sankey"));
      window.addEventListener("resize", () => chart.resize());
      window.tocsinBtcSankey = chart; // for the browser test and the console
      chart.setOption({
        tooltip: { trigger: "item", formatter: (p) => p.dataType === "edge"
          ? tip(`${String(p.data.source).split(" · ")[0]} → ${String(p.data.target).split(" · ")[0]}`,
            p.data.text_shown || p.data.text)
          : tip(...nodeLines(p.data)) },
        series: [{
          type: "sankey", emphasis: { focus: "adjacency" }, nodeAlign: "left", layoutIterations: 16,
          data: flows.nodes.map((n) => ({ ...n, itemStyle: { color: COLORS[n.kind],
            borderColor: n.ends.length ? FLAGGED : undefined, borderWidth: n.ends.length ? 2 : 0 } })),
          links: flows.links,
          label: { formatter: (p) => shorten(p.data.label, 12), fontSize: 10 },
          lineStyle: { color: "gradient", opacity: 0.4 },
        }],
      }, true);
    }

    function showNode(data) {
      detail.replaceChildren(el("h4", {}, data.kind === "transaction" ? _("Transaction") : _("Address")),
        ...nodeLines(data).filter(Boolean).map((line) => el("div", {}, line)));
    }

    function drawGraph(graph) {
      const cy = window.cytoscape({
        container: document.getElementById("btc-graph"),
        style: [
          { selector: "node", style: { "background-color": "data(color)", shape: "data(shape)",
            label: "data(short)", "font-size": 9, "text-valign": "bottom", "text-margin-y": 3,
            width: 22, height: 22 } },
          { selector: "node[?start]", style: { "border-width": 3, "border-color": "#12263a" } },
          { selector: "node[?ended]", style: { "border-width": 3, "border-color": FLAGGED } },
          { selector: "edge", style: { width: "data(width)", "line-color": "#9aa7b4",
            "target-arrow-color": "#9aa7b4", "target-arrow-shape": "triangle",
            "curve-style": "bezier", label: "data(text)", "font-size": 8 } },
          { selector: ":selected", style: { "overlay-opacity": 0.15, "overlay-color": "#0b5cad" } },
        ],
        elements: [
          ...graph.nodes.map((n) => ({ group: "nodes", data: { ...n,
            short: shorten(n.label, 10), color: COLORS[n.kind],
            shape: n.kind === "transaction" ? "round-rectangle" : "ellipse", ended: n.ends.length > 0 } })),
          ...graph.edges.map((e) => ({ group: "edges", data: { ...e, text: e.text_shown || e.text,
            width: Math.max(1, Math.min(8, Math.log10(e.value + 1) - 3)) } })),
        ],
        layout: { name: "breadthfirst", directed: true, spacingFactor: 1.1 },
      });
      window.tocsinBtcGraph = cy; // for the browser test and the console
      cy.on("tap mouseover", "node", (event) => showNode(event.target.data()));
    }

    (async () => {
      status.textContent = _("drawing…");
      try {
        const { body } = await postJson(`${API}/sets/${root.dataset.set}/bitcoin/trace`,
          root.dataset.csrf, { start: root.dataset.start, rule: root.dataset.rule,
            direction: root.dataset.direction, max_depth: Number(root.dataset.depth),
            max_degree: Number(root.dataset.degree) });
        const flows = body.flows;
        if (window.echarts) drawSankey(flows);
        if (window.cytoscape) drawGraph(flows.graph);
        const count = (kind) => flows.graph.nodes.filter((node) => node.kind === kind).length;
        const n = count("address"), m = count("transaction");
        // each part its own message (the extractor reads no message inside another's values)
        const addresses = n === 1 ? _("%(n)s address", { n: n }) : _("%(n)s addresses", { n: n });
        const crossed = m === 1 ? _("%(n)s transaction crossed", { n: m })
          : _("%(n)s transactions crossed", { n: m });
        const shown = _("%(addresses)s and %(transactions)s", { addresses: addresses, transactions: crossed });
        status.textContent = shown + (body.truncated ? " " + _("(stopped at the step budget, not complete)") : "");
      } catch (err) {
        status.textContent = err.message;
      }
    })();
  }

  // ------------------------------------------------------------------ timeline

  // A tick of a time axis in the page's language (times are UTC, as the table's): the
  // year on the first of January, the time within a day, else the day and month.
  function timeTick(value) {
    const d = new Date(value);
    const utc = { timeZone: "UTC" };
    if (d.getUTCHours() || d.getUTCMinutes()) {
      return d.toLocaleTimeString(LANG, { hour: "2-digit", minute: "2-digit", ...utc });
    }
    if (d.getUTCMonth() === 0 && d.getUTCDate() === 1) return d.toLocaleDateString(LANG, { year: "numeric", ...utc });
    return d.toLocaleDateString(LANG, { day: "numeric", month: "short", ...utc });
  }

  function initTimeline() {
    const root = document.getElementById("timeline-view");
    if (!root || !window.echarts) return;
    const form = document.getElementById("timeline-form");
    const status = document.getElementById("timeline-status");
    const chart = window.echarts.init(document.getElementById("timeline-chart"));
    window.addEventListener("resize", () => chart.resize());

    async function show() {
      const data = new FormData(form);
      const params = new URLSearchParams({ account: data.get("account").trim() });
      const since = dateParam(data.get("since"), false);
      const until = dateParam(data.get("until"), true);
      if (since) params.set("since", since);
      if (until) params.set("until", until);
      status.textContent = _("loading…");
      try {
        const { body } = await call(`${API}/sets/${root.dataset.set}/timeline?${params}`);
        const items = body.transactions;
        const point = (t) => ({ value: [t.time, t.direction === "out" ? -t.amount : t.amount],
                                txn: t.txn_id, counterparty: t.counterparty });
        const BALANCE = _("running balance");
        chart.setOption({
          tooltip: { trigger: "item", formatter: (p) => p.seriesName === BALANCE
            ? tip(_("balance %(amount)s", { amount: money(p.value[1]) }))
            : tip(p.data.txn, `${p.seriesName} ${p.data.counterparty}`, money(Math.abs(p.value[1]))) },
          legend: { top: 0 },
          // ECharts names months and groups digits in English: the axes in the page's language
          xAxis: { type: "time", axisLabel: { formatter: timeTick, hideOverlap: true } },
          yAxis: { type: "value", name: _("amount"), axisLabel: { formatter: (value) => Number(value).toLocaleString(LANG) } },
          dataZoom: [{ type: "inside" }, { type: "slider" }],
          series: [
            { name: _("in from"), type: "scatter", symbolSize: 8, itemStyle: { color: "#2e7d32" },
              data: items.filter((t) => t.direction === "in").map(point) },
            { name: _("out to"), type: "scatter", symbolSize: 8, itemStyle: { color: FLAGGED },
              data: items.filter((t) => t.direction === "out").map(point) },
            { name: BALANCE, type: "line", step: "end", showSymbol: false,
              lineStyle: { color: "#4a6fa5" }, data: items.map((t) => [t.time, t.balance]) },
          ],
        }, true);
        document.getElementById("timeline-rows").replaceChildren(...items.map((t) => el("tr", {},
          el("td", {}, t.time.replace("T", " ").replace("Z", "")), el("td", {}, t.txn_id),
          el("td", {}, { out: _("sent"), in: _("received"), self: _("to itself") }[t.direction] || t.direction),
          el("td", {}, t.counterparty), el("td", { class: "num" }, money(t.amount)), el("td", {}, t.channel || ""),
          el("td", { class: "num" }, money(t.balance)))));
        status.textContent = body.truncated
          ? _("%(count)s payments (the first ones only)", { count: items.length })
          : _("%(count)s payments", { count: items.length });
      } catch (err) {
        status.textContent = err.message;
      }
    }

    form.addEventListener("submit", (event) => { event.preventDefault(); show(); });
    if (root.dataset.account) show();
  }

  window.addEventListener("DOMContentLoaded", () => {
    initUpload();
    initImportStatus();
    initWizard();
    initNetwork();
    initTrace();
    initBitcoinTrace();
    initTimeline();
  });
})();

// The words the scripts show, in the page's language. base.html writes the catalog of the
// scripts' messages into a JSON data block (never run, so the CSP's script-src 'self'
// holds); English pages have none and show the messages as written.
// _("Imported %(rows)s rows", {rows: 12}): placeholders as in the Python catalogs; with
// values, "%%" is a literal "%".
(function () {
  "use strict";
  var catalog = {};
  var block = document.getElementById("tocsin-text");
  if (block) {
    try { catalog = JSON.parse(block.textContent) || {}; } catch (e) { catalog = {}; }
  }
  window.tocsinText = function (message, values) {
    var text = Object.prototype.hasOwnProperty.call(catalog, message) ? catalog[message] : message;
    if (!values) { return text; }
    return text.replace(/%\((\w+)\)s|%%/g, function (all, name) {
      if (!name) { return "%"; }
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  };
})();

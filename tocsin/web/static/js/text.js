// The words the scripts show, in the page's language. base.html writes the catalog of the
// scripts' messages into a JSON data block (never run, so the CSP's script-src 'self'
// holds); English pages have none and show the messages as written.
// _("Imported %(rows)s rows", {rows: 12}): placeholders as in the Python catalogs; with
// values, "%%" is a literal "%".
// ngettext("%(count)s payment", "%(count)s payments", n, {count: n}): the form the page's
// language takes for n (its table of forms covers counts below 200; a larger count takes
// the form of 100 + its last two digits, as every language's rule in the catalogs allows).
(function () {
  "use strict";
  var catalog = {};
  var block = document.getElementById("tocsin-text");
  if (block) {
    try { catalog = JSON.parse(block.textContent) || {}; } catch (e) { catalog = {}; }
  }
  var messages = catalog.messages || {};
  var plurals = catalog.plurals || {};
  var forms = catalog.forms || [];
  var has = function (object, key) { return Object.prototype.hasOwnProperty.call(object, key); };
  function fill(text, values) {
    if (!values) { return text; }
    return text.replace(/%\((\w+)\)s|%%/g, function (all, name) {
      if (!name) { return "%"; }
      return has(values, name) ? String(values[name]) : all;
    });
  }
  window.tocsinText = function (message, values) {
    return fill(has(messages, message) ? messages[message] : message, values);
  };
  window.tocsinPlural = function (singular, plural, n, values) {
    var count = Math.abs(Math.floor(Number(n) || 0));
    var text = count === 1 ? singular : plural;
    if (has(plurals, singular) && forms.length) {
      var form = forms[count < forms.length ? count : 100 + (count % 100)];
      text = plurals[singular][form] || text;
    }
    return fill(text, values);
  };
})();

// Forms for people, not for the developer: served by the platform, no CDN, no framework.
// 1. A form with data-confirm asks first, in a modal <dialog> (Escape or "Cancel" keeps
//    the record); the delete goes ahead only on the explicit button. data-confirm-hint
//    replaces the line under the question. An edit form with data-confirm-changes asks
//    only when a value would be replaced, and names the fields that would change.
(function () {
  "use strict";

  // The words of the dialog in the page's language: base.html puts them on <body>.
  function text_(key, english) {
    return (document.body && document.body.dataset["text" + key.charAt(0).toUpperCase()
      + key.slice(1)]) || english;
  }

  function fieldLabel(field) {
    var label = field.closest("label");
    if (!label) { return field.name; }
    var text = Array.prototype.filter.call(label.childNodes, function (n) {
      return n.nodeType === Node.TEXT_NODE;  // the label's own words, not the field's value
    }).map(function (n) { return n.textContent; }).join(" ");
    return text.replace(/\s+/g, " ").trim() || field.name;
  }

  function changedFields(form) {
    var names = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.type === "hidden" || field.type === "submit") { return; }
      var changed;
      if (field.type === "checkbox" || field.type === "radio") {
        changed = field.checked !== field.defaultChecked;
      } else if (field.tagName === "SELECT" && field.multiple) {
        changed = Array.prototype.some.call(field.options, function (o) {
          return o.selected !== o.defaultSelected;
        });
      } else if (field.tagName === "SELECT") {
        // a single choice with no option marked shows (and keeps) its first option
        var initial = Array.prototype.findIndex.call(field.options, function (o) {
          return o.defaultSelected;
        });
        changed = field.selectedIndex !== Math.max(initial, 0);
      } else {
        changed = field.value !== field.defaultValue;
      }
      if (changed) { names.push(fieldLabel(field)); }
    });
    return names;
  }

  function confirmDialog(message, action, hintText) {
    var dialog = document.createElement("dialog");
    dialog.className = "confirm";
    dialog.setAttribute("aria-labelledby", "confirm-message");
    var text = document.createElement("p");
    text.id = "confirm-message";
    text.textContent = message;
    var hint = document.createElement("p");
    hint.className = "meta";
    hint.textContent = hintText || text_("restoreHint", "An administrator can restore it from the trash.");
    var buttons = document.createElement("div");
    buttons.className = "buttons";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "secondary";
    cancel.textContent = text_("cancel", "Cancel");
    var go = document.createElement("button");
    go.type = "button";
    go.className = "danger";
    go.textContent = action;
    buttons.append(cancel, go);
    dialog.append(text, hint, buttons);
    document.body.appendChild(dialog);
    return new Promise(function (resolve) {
      function done(answer) { dialog.close(); dialog.remove(); resolve(answer); }
      cancel.addEventListener("click", function () { done(false); });
      go.addEventListener("click", function () { done(true); });
      dialog.addEventListener("cancel", function (event) { event.preventDefault(); done(false); });
      dialog.showModal();
      cancel.focus();
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm || form.dataset.confirmed) {
      return;
    }
    var message = form.dataset.confirm;
    if (form.dataset.confirmChanges !== undefined) {
      var changed = changedFields(form);
      if (!changed.length) { return; }  // nothing would be replaced: no question
      message += " " + text_("changed", "Changed:") + " " + changed.join("; ") + ".";
    }
    event.preventDefault();
    confirmDialog(message, form.dataset.confirmAction || text_("delete", "Delete"),
                  form.dataset.confirmHint).then(function (yes) {
      if (yes) {
        form.dataset.confirmed = "1";
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }
    });
  });
})();

// 2. The main navigation's menus: one open at a time; Escape or a click elsewhere closes.
(function () {
  "use strict";
  function menus() { return document.querySelectorAll(".mainnav details.menu"); }
  document.addEventListener("toggle", function (event) {
    var opened = event.target;
    if (!(opened instanceof HTMLDetailsElement) || !opened.open || !opened.classList.contains("menu")) { return; }
    menus().forEach(function (other) { if (other !== opened) { other.open = false; } });
  }, true);
  document.addEventListener("click", function (event) {
    menus().forEach(function (menu) { if (!menu.contains(event.target)) { menu.open = false; } });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    menus().forEach(function (menu) {
      if (menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
    });
  });
})();

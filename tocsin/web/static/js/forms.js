// Forms for people, not for the developer: served by the platform, no CDN, no framework.
// 1. A form with data-confirm asks first, in a modal <dialog> (Escape or "Cancel" keeps
//    the record); the delete goes ahead only on the explicit button. data-confirm-note
//    replaces the note under the question (an erasure is not kept in the trash).
(function () {
  "use strict";

  function confirmDialog(message, action, note) {
    var dialog = document.createElement("dialog");
    dialog.className = "confirm";
    dialog.setAttribute("aria-labelledby", "confirm-message");
    var text = document.createElement("p");
    text.id = "confirm-message";
    text.textContent = message;
    var hint = document.createElement("p");
    hint.className = "meta";
    hint.textContent = note || "An administrator can restore it from the trash.";
    var buttons = document.createElement("div");
    buttons.className = "buttons";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "secondary";
    cancel.textContent = "Cancel";
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
    event.preventDefault();
    confirmDialog(form.dataset.confirm, form.dataset.confirmAction || "Delete",
                  form.dataset.confirmNote).then(function (yes) {
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

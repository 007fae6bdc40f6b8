// Search page: "/" focuses the search box; a new query starts from page one.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form) { return; }
  var box = form.querySelector("input[type=search]");
  document.addEventListener("keydown", function (event) {
    var tag = (event.target && event.target.tagName) || "";
    if (event.key === "/" && tag !== "INPUT" && tag !== "TEXTAREA") {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
})();

// The main menu folds behind a button on a phone (style.css, max-width 640px). Loaded in <head>: the
// "js" class is set before the page is drawn, so a phone never sees the open menu flash by; without JS
// the class never comes and the menu simply stays open. No inline handlers (CSP).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-menu-toggle]");
    var menu = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) { return; }
    button.hidden = false;  // shown by CSS on phones only

    function isOpen() { return button.getAttribute("aria-expanded") === "true"; }
    function set(open) {
      button.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
    }

    button.addEventListener("click", function () {
      set(!isOpen());
      if (isOpen()) {
        var first = menu.querySelector("a, button");
        if (first) { first.focus(); }
      }
    });
    // Escape closes it and gives the focus back to the button, as a disclosure should.
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && isOpen()) { set(false); button.focus(); }
    });
    // A click elsewhere closes it (on a phone it covers part of the page).
    document.addEventListener("click", function (event) {
      if (isOpen() && !menu.contains(event.target) && !button.contains(event.target)) { set(false); }
    });
  });
})();

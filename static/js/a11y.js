// Keyboard and screen-reader help shared by every page (WCAG 2.1 AA). A static file: the CSP allows no
// inline script.
(function () {
  "use strict";

  // After a refused submit, focus the first field marked aria-invalid (templates/_macros.html field), so
  // the keyboard and the screen reader land on what to fix.
  function focusFirstError() {
    var first = document.querySelector("main [aria-invalid=true], main fieldset.has-error input");
    if (first) { first.focus(); }
  }

  // A table wider than its box scrolls inside it (style.css, phones): such a box must take focus so the
  // keyboard can scroll it, and say what it holds. Only boxes that do scroll become tab stops.
  function scrollableTables() {
    document.querySelectorAll("main table, main .table-scroll").forEach(function (box) {
      if (box.matches("table") && box.closest(".table-scroll")) { return; }  // the wrapper is the box
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (!scrolls) {
        if (box.dataset.a11yScroll) { box.removeAttribute("tabindex"); box.removeAttribute("role"); box.removeAttribute("aria-label"); delete box.dataset.a11yScroll; }
        return;
      }
      if (box.hasAttribute("tabindex")) { return; }
      var caption = box.querySelector("caption");
      var heading = caption ? null : precedingHeading(box);
      box.setAttribute("tabindex", "0");
      box.dataset.a11yScroll = "1";
      if (!box.matches("table")) { box.setAttribute("role", "region"); }
      if (!caption) { box.setAttribute("aria-label", heading ? heading.textContent.trim() : document.title); }
    });
  }

  function precedingHeading(node) {
    var headings = document.querySelectorAll("main h1, main h2, main h3, main h4");
    var found = null;
    headings.forEach(function (h) {
      if (h.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING) { found = h; }
    });
    return found;
  }

  // A link styled as a button answers Space like a button does (a link only answers Enter).
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if ((event.key === " " || event.key === "Spacebar") && target.matches && target.matches("a.button, a[role=button]")) {
      event.preventDefault();
      target.click();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    focusFirstError();
    scrollableTables();
  });
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(scrollableTables, 150);
  });
})();

// The bell in the header: a click opens a dropdown of the latest notices (fetched from the link's
// data-latest, grouped by tender/contract on the server). Without JS, or with a modifier key, the bell
// stays what it is: a link to the full list. No inline handlers (CSP).
(function () {
  var bell = document.querySelector("a.bell[data-latest]");
  var panel = document.getElementById("bell-panel");
  if (!bell || !panel) { return; }

  function close() {
    panel.hidden = true;
    bell.setAttribute("aria-expanded", "false");
  }

  function open() {
    fetch(bell.dataset.latest, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (html) {
        panel.innerHTML = html;
        panel.hidden = false;
        bell.setAttribute("aria-expanded", "true");
        var first = panel.querySelector("a, button");
        if (first) { first.focus(); }
      })
      .catch(function () { window.location.href = bell.href; });  // the list page still works
  }

  bell.addEventListener("click", function (event) {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    event.preventDefault();
    if (panel.hidden) { open(); } else { close(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { close(); bell.focus(); }
  });
  document.addEventListener("click", function (event) {
    if (!panel.hidden && !panel.contains(event.target) && !bell.contains(event.target)) { close(); }
  });
})();

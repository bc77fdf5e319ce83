// Markdown preview: a "Preview" button under a textarea with data-preview-url shows what the server will
// show (rendered and sanitised by services/markdown.py; nothing is rendered in the browser). The request
// carries the form's CSRF token like the form itself. No inline handlers (CSP).
(function () {
  document.querySelectorAll("button[data-preview-for]").forEach(function (button) {
    var area = document.getElementById(button.dataset.previewFor);
    var box = document.getElementById(button.dataset.previewFor + "-preview");
    if (!area || !box || !area.dataset.previewUrl) { return; }
    var token = area.form && area.form.querySelector("input[name=csrf_token]");
    button.hidden = false;
    button.addEventListener("click", function () {
      var body = new FormData();
      body.append("text", area.value);
      if (token) { body.append("csrf_token", token.value); }
      fetch(area.dataset.previewUrl, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          box.innerHTML = html;  // sanitised on the server (nh3): only the tags a proposal may use
          box.hidden = false;
        })
        .catch(function () { box.hidden = true; });
    });
  });
})();

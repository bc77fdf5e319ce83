// Forms that move money or cannot be undone ask first: <form data-confirm="question">. One listener for
// the whole page (no inline handlers, so the Content-Security-Policy needs no 'unsafe-inline').
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

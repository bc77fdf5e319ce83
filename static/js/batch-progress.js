// A settlement batch's page follows the worker: <div data-batch-progress data-url="progress JSON"> with a
// <progress> and a .progress-label; the page reloads once the batch is closed.
(function () {
  var box = document.querySelector("[data-batch-progress]");
  if (!box) return;
  var bar = box.querySelector("progress"), label = box.querySelector(".progress-label");
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
      if (s.progress) { bar.max = s.progress.total || 1; bar.value = s.progress.done; label.textContent = s.progress.done + " / " + s.progress.total; }
      if (s.closed) { window.location.reload(); } else { setTimeout(poll, 1500); }
    }).catch(function () { setTimeout(poll, 5000); });
  }
  poll();
})();

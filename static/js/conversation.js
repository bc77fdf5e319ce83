// A conversation's page shows new messages without reloading: it polls the thread's `since` endpoint
// every few seconds. The answer carries an ETag; the browser revalidates with If-None-Match, so a poll
// that finds nothing new is a bodiless 304. Polling slows down while the tab is hidden.
(function () {
  var list = document.querySelector("ol.messages[data-poll-url]");
  if (!list) return;
  var lastId = parseInt(list.dataset.lastId || "0", 10), etag = null;
  function schedule() { setTimeout(poll, document.hidden ? 30000 : 4000); }
  function poll() {
    var headers = etag ? {"If-None-Match": etag} : {};
    fetch(list.dataset.pollUrl + "?after=" + lastId, {credentials: "same-origin", headers: headers, cache: "no-store"})
      .then(function (r) {
        if (r.status === 304 || !r.ok) return null;
        etag = r.headers.get("ETag");
        return r.json();
      })
      .then(function (data) {
        if (data && data.last_id > lastId) {
          list.insertAdjacentHTML("beforeend", data.html);
          lastId = data.last_id;
          etag = null;
        }
        schedule();
      })
      .catch(schedule);
  }
  schedule();
})();

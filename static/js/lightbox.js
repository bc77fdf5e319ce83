// Opens a[data-lightbox] links (image thumbnails) in a modal <dialog> instead of navigating.
// Keyboard: the thumbnail links are focusable; Enter opens, Escape closes (native dialog),
// ← and → move between the page's images; focus returns to the thumbnail that opened it.
// Without JavaScript the link simply opens the image.
(function () {
  "use strict";
  var links = Array.prototype.slice.call(document.querySelectorAll("a[data-lightbox]"));
  if (!links.length || typeof HTMLDialogElement === "undefined") { return; }

  var dialog = document.createElement("dialog");
  dialog.className = "lightbox";
  dialog.setAttribute("aria-label", document.documentElement.lang === "zh-CN" ? "图片预览" : "Image preview");
  var close = document.createElement("button");
  close.type = "button";
  close.className = "lightbox-close";
  close.textContent = "×";
  close.setAttribute("aria-label", document.documentElement.lang === "zh-CN" ? "关闭" : "Close");
  var image = document.createElement("img");
  var caption = document.createElement("p");
  caption.className = "lightbox-caption";
  dialog.appendChild(close);
  dialog.appendChild(image);
  dialog.appendChild(caption);
  document.body.appendChild(dialog);

  var current = -1;
  var opener = null;

  function show(index) {
    current = (index + links.length) % links.length;
    var link = links[current];
    image.src = link.href;
    image.alt = link.getAttribute("data-caption") || "";
    caption.textContent = link.getAttribute("data-caption") || "";
  }

  links.forEach(function (link, index) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      opener = link;
      show(index);
      dialog.showModal();
      close.focus();
    });
  });
  close.addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("click", function (event) { if (event.target === dialog) { dialog.close(); } });
  dialog.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") { show(current + 1); event.preventDefault(); }
    if (event.key === "ArrowLeft") { show(current - 1); event.preventDefault(); }
  });
  dialog.addEventListener("close", function () {
    image.removeAttribute("src");
    if (opener) { opener.focus(); }
  });
}());

// The entrance tablet's 2D code: reload the page just after the code turns. Without this
// script the page still works: the "show the current code" button reloads it.
(function () {
  var link = document.getElementById("next-code");
  if (!link) return;
  var wait = parseInt(link.getAttribute("data-refresh-ms"), 10) || 5000;
  window.setTimeout(function () { window.location.replace(link.href); }, wait);
})();

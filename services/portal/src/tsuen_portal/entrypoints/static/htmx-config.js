// htmx's settings for this portal, set after htmx.min.js loads and before it starts (both
// scripts are deferred, in this order). The CSP allows no inline style and no eval, so htmx
// must not inject its indicator <style> nor evaluate attributes; pages hold a family's data,
// so no page snapshot goes to localStorage: going back reloads the page from the server.
(function () {
  "use strict";
  if (!window.htmx) { return; }
  var c = window.htmx.config;
  c.includeIndicatorStyles = false;
  c.allowEval = false;
  c.allowScriptTags = false;
  c.historyCacheSize = 0;
  c.refreshOnHistoryMiss = true;
  c.selfRequestsOnly = true;
  // Keep the browser's own focus ring and scroll: a swap moves nothing the reader did not ask.
  c.defaultFocusScroll = false;
  // A swap must not leave a keyboard user's focus nowhere. htmx puts it back on a control
  // swapped in with the same id, but not every time (a toggle answered while the previous
  // swap still settles ended on <body> in CI): remember the focused id before each swap and,
  // if the focus is lost once it has settled, put it back on that control, or — when the swap
  // removed it (a favourite taken off the list) — on the results' heading, where a full page
  // load's reader would look.
  var focusedId = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    focusedId = active && active.id ? active.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (document.activeElement && document.activeElement !== document.body) { return; }
    var again = focusedId ? document.getElementById(focusedId) : null;
    var target = again || document.getElementById("results");
    if (target) { target.focus(); }
  });
}());

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
  // A swap that removed the focused control (a favourite taken off the list) would leave the
  // focus nowhere: put it on the results' heading, where a full page load's reader would look.
  document.addEventListener("htmx:afterSettle", function () {
    if (document.activeElement && document.activeElement !== document.body) { return; }
    var heading = document.getElementById("results");
    if (heading) { heading.focus(); }
  });
}());

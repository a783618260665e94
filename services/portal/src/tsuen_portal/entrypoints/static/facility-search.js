// 施設をさがす, 現在地から: asks the browser where the phone is and sends it in the GET form
// (lat, lng). When the guardian refuses or the phone cannot tell, the form goes anyway with
// geo=denied|unavailable|unsupported and the page explains; without this script the form
// arrives with neither and the page explains that too.
(function () {
  "use strict";
  var form = document.getElementById("near-form");
  if (!form) { return; }
  var lat = document.getElementById("near-lat");
  var lng = document.getElementById("near-lng");
  var geo = document.getElementById("near-geo");
  var progress = document.getElementById("near-progress");
  var asking = false;

  function send() {
    asking = false;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  form.addEventListener("submit", function (event) {
    if (lat.value || geo.value) { return; } // filled in: let it go (or htmx take it)
    event.preventDefault();
    event.stopImmediatePropagation();
    if (asking) { return; }
    if (!navigator.geolocation) { geo.value = "unsupported"; send(); return; }
    asking = true;
    if (progress) { progress.textContent = form.getAttribute("data-locating") || ""; }
    navigator.geolocation.getCurrentPosition(function (position) {
      // About 100 m is enough to order nurseries, and says less about where the family is.
      lat.value = position.coords.latitude.toFixed(3);
      lng.value = position.coords.longitude.toFixed(3);
      send();
    }, function (error) {
      geo.value = error.code === 1 ? "denied" : "unavailable";
      send();
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
  }, true);

  // After a search the form is sent again from scratch (a new position, a new answer).
  document.addEventListener("htmx:afterSettle", function () {
    lat.value = ""; lng.value = ""; geo.value = "";
    if (progress) { progress.textContent = ""; }
  });
}());

// The lobby screen reloads itself, so it always shows who is here now.
// It first asks the server whether the page answers: when the server or the
// network is down, the screen keeps showing the last page and tries again
// at the next interval, instead of showing an error page for good.
(function () {
  "use strict";
  var seconds = Number(document.documentElement.getAttribute("data-refresh-seconds")) || 60;

  function reloadWhenReachable() {
    fetch(window.location.href, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.ok) {
          window.location.reload();
        } else {
          window.setTimeout(reloadWhenReachable, seconds * 1000);
        }
      })
      .catch(function () {
        window.setTimeout(reloadWhenReachable, seconds * 1000);
      });
  }

  window.setTimeout(reloadWhenReachable, seconds * 1000);
})();

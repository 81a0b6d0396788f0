// The poster's print button. It is hidden in the HTML and shown here, so
// a browser without JavaScript never shows a button that does nothing
// (its own print command prints the same pages).
(function () {
  "use strict";
  document.querySelectorAll("[data-print-page]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();

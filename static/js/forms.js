// The error summary of a form that came back with errors takes the focus,
// so keyboard and screen reader users hear what to correct first.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
});

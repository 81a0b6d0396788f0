// "Where do you live?": narrows the list while the resident types. Without
// JavaScript the search button asks the server for the same list.
(function () {
  "use strict";
  var input = document.getElementById("municipality-q");
  var list = document.getElementById("municipality-list");
  if (!input || !list) {
    return;
  }
  function filter() {
    var words = input.value.toLocaleLowerCase().split(/\s+/).filter(Boolean);
    list.querySelectorAll("section.region").forEach(function (region) {
      var regionName = region.querySelector("h2").textContent;
      var shown = 0;
      region.querySelectorAll("li").forEach(function (item) {
        var text = (item.textContent + " " + regionName).toLocaleLowerCase();
        var matches = words.every(function (word) {
          return text.indexOf(word) !== -1;
        });
        item.hidden = !matches;
        shown += matches ? 1 : 0;
      });
      region.hidden = shown === 0;
    });
  }
  input.addEventListener("input", filter);
})();

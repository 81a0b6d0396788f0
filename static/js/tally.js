// Tally mode taps without reloading the page, so the total stays in view
// on a phone. Without JavaScript the same forms post and reload as before.
// The plural of the total comes from the page (data-one / data-many hold
// the text for 1 and for 2 with the number in it), so no text lives here.
(function () {
  "use strict";

  function totalText(total, element) {
    var pattern = total === 1 ? element.dataset.one : element.dataset.many;
    var sample = total === 1 ? "1" : "2";
    return pattern.replace(sample, String(total));
  }

  function update(form, result) {
    form.querySelector(".tally-count-value").textContent = String(result.count);
    form.querySelector(".tally-minus").disabled = result.count === 0;
    var total = document.querySelector(".tally-total");
    total.querySelector(".tally-total-text").textContent = totalText(result.total, total);
    var save = document.querySelector(".tally-save button[type=submit]");
    if (save) {
      save.disabled = result.total === 0;
    }
  }

  function tap(event) {
    var form = event.target;
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) {
      data.append(event.submitter.name, event.submitter.value);
    }
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (result) {
        update(form, result);
      })
      .catch(function () {
        // Let the form post the ordinary way, which shows any error page.
        form.submit();
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".tally-form").forEach(function (form) {
      form.addEventListener("submit", tap);
    });
  });
})();

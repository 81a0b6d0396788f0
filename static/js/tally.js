// Tally mode taps without reloading the page, so the total stays in view
// on a phone. Without JavaScript the same forms post and reload as before.
// The plural of the total comes from the page (data-one / data-many hold
// the text for 1 and for 2 with the number in it), so no text lives here.
//
// Offline (or when a tap does not get through) the tap waits on the device
// with its time and a one-time key (static/js/offline.js keeps the queue),
// the count goes up on the page at once, and the taps are sent in order
// when the network is back: the key makes a resend count nothing twice.
(function () {
  "use strict";

  var queue = null;

  function totalText(total, element) {
    var pattern = total === 1 ? element.dataset.one : element.dataset.many;
    var sample = total === 1 ? "1" : "2";
    return pattern.replace(sample, String(total));
  }

  function formFor(url, topic) {
    var found = null;
    document.querySelectorAll(".tally-form").forEach(function (form) {
      if (form.action === url && form.elements.namedItem("topic").value === topic) {
        found = form;
      }
    });
    return found;
  }

  function shownCount(form) {
    return Number(form.querySelector(".tally-count-value").textContent) || 0;
  }

  function shownTotal() {
    var total = 0;
    document.querySelectorAll(".tally-form").forEach(function (form) {
      total += shownCount(form);
    });
    return total;
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

  function showStep(form, step) {
    var count = Math.max(0, shownCount(form) + step);
    form.querySelector(".tally-count-value").textContent = String(count);
    update(form, { count: count, total: shownTotal() });
  }

  function showQueue(waiting) {
    var line = document.querySelector(".tally-queue");
    if (!line || !queue) {
      return;
    }
    line.hidden = waiting.length === 0;
    line.querySelector(".tally-queue-text").textContent = queue.countText("taps", waiting.length);
  }

  function showRefused(message) {
    var alert = document.querySelector(".tally-refused");
    if (alert) {
      alert.textContent = queue.text("tap-refused") + " " + message;
      alert.hidden = false;
    }
  }

  function tapData(entry) {
    var data = new FormData();
    data.append("topic", entry.topic);
    data.append("step", entry.step);
    data.append("tap_key", entry.tap_key);
    data.append("tapped_at", entry.tapped_at);
    return data;
  }

  // A -1 takes back a +1 still waiting on the device; else it waits too.
  function keepForLater(form, entry) {
    return queue.mine("taps").then(function (waiting) {
      var done;
      if (entry.step === "-1") {
        var plus = waiting.filter(function (tap) {
          return tap.url === entry.url && tap.topic === entry.topic && tap.step === "1";
        });
        if (plus.length) {
          done = queue.remove("taps", plus[plus.length - 1].tap_key);
        } else if (shownCount(form) > 0) {
          done = queue.put("taps", entry);
        } else {
          return waiting;
        }
      } else {
        done = queue.put("taps", entry);
      }
      return done.then(function () {
        showStep(form, Number(entry.step));
        return queue.mine("taps");
      });
    }).then(showQueue);
  }

  function sendTaps() {
    return queue.sendTaps().then(function (state) {
      return queue.mine("taps").then(function (waiting) {
        showQueue(waiting);
        return state;
      });
    });
  }

  function tap(event) {
    var form = event.target;
    var step = event.submitter && event.submitter.name === "step" ? event.submitter.value : "1";
    event.preventDefault();
    var entry = {
      tap_key: queue.newKey(),
      url: form.action,
      topic: form.elements.namedItem("topic").value,
      step: step,
      tapped_at: new Date().toISOString(),
    };
    inOrder(function () {
      return sendOrKeep(form, entry);
    });
  }

  // The copy kept for offline should show the counts, but one fetch of
  // the page per tap is too many: once the tapping pauses.
  var keepTimer = null;

  function keepPageLater() {
    window.clearTimeout(keepTimer);
    keepTimer = window.setTimeout(function () {
      queue.keepPages([window.location.href]);
    }, 3000);
  }

  // One tap at a time, in the order tapped: a quick +1 +1 −1 must reach
  // the server in that order, or the −1 could find nothing to take back.
  var last = Promise.resolve();

  function inOrder(work) {
    last = last.then(work).catch(function () {
      return undefined;
    });
  }

  function sendOrKeep(form, entry) {
    return queue.mine("taps").then(function (waiting) {
      // Taps go in order: while some wait, this one waits behind them.
      if (waiting.length || !navigator.onLine) {
        return keepForLater(form, entry);
      }
      var token = form.elements.namedItem("csrfmiddlewaretoken").value;
      return queue.send(form.action, { body: tapData(entry), token: token }).then(
        function (answer) {
          if (answer.status === 200 && answer.body && "count" in answer.body) {
            update(form, answer.body);
            keepPageLater();
          } else if ((answer.status === 400 || answer.status === 404) && answer.body) {
            showRefused(answer.body.message || String(answer.status));
          } else {
            return keepForLater(form, entry).then(function () {
              return queue.isCsrfFailure(answer) ? sendTaps() : undefined;
            });
          }
          return undefined;
        },
        function () {
          return keepForLater(form, entry);
        }
      );
    });
  }

  // What waits on the device is not yet in the counts the page shows.
  function showWaiting() {
    return queue.mine("taps").then(function (waiting) {
      waiting.forEach(function (entry) {
        var form = formFor(entry.url, entry.topic);
        if (form) {
          showStep(form, Number(entry.step));
        }
      });
      showQueue(waiting);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    queue = window.OfflineQueue || null;
    if (!queue) {
      // No offline script (no IndexedDB): the forms post the ordinary way.
      return;
    }
    document.querySelectorAll(".tally-form").forEach(function (form) {
      form.addEventListener("submit", tap);
    });
    queue.tapHooks = {
      sent: function (entry, body) {
        var form = formFor(entry.url, entry.topic);
        if (form) {
          update(form, body);
        }
      },
      refused: showRefused,
    };
    document.querySelectorAll(".tally-send-now").forEach(function (button) {
      button.addEventListener("click", sendTaps);
    });
    window.addEventListener("online", sendTaps);
    showWaiting().then(sendTaps);
  });
})();

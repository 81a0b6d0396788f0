// The staff pages offline (docs/architecture.md, "Offline"): the visit
// queue on this device, the log form's save through the JSON endpoint,
// the warning before logging out with visits not sent, the device's side
// of the idle logout, and the service worker's registration.
//
// The queue lives in IndexedDB; every entry carries the id of the user who
// logged it, and only that user's entries are shown or sent: a shared
// tablet keeps one queue per user. Entries are sent one by one, each with
// its one-time key, after fetching a fresh CSRF token (a page kept offline
// carries an old one) and checking that the session is the same user's.
// Without JavaScript the log form posts as it always did. The words come
// from the page (templates/visitors/_offline_texts.html).
(function () {
  "use strict";

  var app = document.getElementById("offline-app");
  if (!app || !window.indexedDB || !window.fetch) {
    return;
  }
  var user = app.dataset.user;
  var texts = document.getElementById("offline-texts");
  var LOGOUT_PENDING = "esv-logout-pending-" + user;
  var LAST_ACTIVITY = "esv-last-activity-" + user;

  function text(name) {
    var element = texts && texts.content.querySelector('[data-text="' + name + '"]');
    return element ? element.textContent.trim() : "";
  }

  function countText(name, count) {
    var element = texts && texts.content.querySelector('[data-text="' + name + '"]');
    if (!element) {
      return String(count);
    }
    var pattern = count === 1 ? element.dataset.one : element.dataset.many;
    return pattern.replace(count === 1 ? "1" : "2", String(count));
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    });
    return [0, 4, 6, 8, 10]
      .map(function (start, i, starts) {
        return hex.slice(start, starts[i + 1] || 16).join("");
      })
      .join("-");
  }

  // ---- IndexedDB: one database on the device; entries carry their user.

  var database = null;
  var order = 0;

  function openDatabase() {
    if (!database) {
      database = new Promise(function (resolve, reject) {
        var request = indexedDB.open("esv-offline", 1);
        request.onupgradeneeded = function () {
          var db = request.result;
          db.createObjectStore("visits", { keyPath: "key" }).createIndex("user", "user");
          db.createObjectStore("taps", { keyPath: "tap_key" }).createIndex("user", "user");
        };
        request.onsuccess = function () {
          resolve(request.result);
        };
        request.onerror = function () {
          reject(request.error);
        };
      });
    }
    return database;
  }

  function inStore(name, mode, work) {
    return openDatabase().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(name, mode);
        var request = work(transaction.objectStore(name));
        transaction.oncomplete = function () {
          resolve(request ? request.result : undefined);
        };
        transaction.onerror = transaction.onabort = function () {
          reject(transaction.error);
        };
      });
    });
  }

  function mine(name) {
    return inStore(name, "readonly", function (store) {
      return store.index("user").getAll(user);
    }).then(function (entries) {
      return entries.sort(function (a, b) {
        return a.order - b.order;
      });
    });
  }

  function putEntry(name, entry) {
    entry.user = user;
    entry.order = entry.order || Date.now() * 1000 + (order++ % 1000);
    return inStore(name, "readwrite", function (store) {
      return store.put(entry);
    });
  }

  function removeEntry(name, key) {
    return inStore(name, "readwrite", function (store) {
      return store.delete(key);
    });
  }

  function getEntry(name, key) {
    return inStore(name, "readonly", function (store) {
      return store.get(key);
    }).then(function (entry) {
      return entry && entry.user === user ? entry : undefined;
    });
  }

  // ---- The server

  // Resolves with {status, body}; body is null when the answer is not our
  // JSON (a guest network's login page, say): the caller tries later.
  function send(url, options) {
    var headers = { Accept: "application/json" };
    if (options && options.background) {
      // Not the user's own doing: it does not keep the login alive.
      headers["X-Background-Sync"] = "1";
    }
    if (options && options.token) {
      headers["X-CSRFToken"] = options.token;
    }
    return fetch(url, {
      method: options && options.body ? "POST" : "GET",
      body: options && options.body,
      headers: headers,
      credentials: "same-origin",
      cache: "no-store",
    }).then(function (response) {
      return response.json().then(
        function (body) {
          return { status: response.status, body: body };
        },
        function () {
          return { status: response.status, body: null };
        }
      );
    });
  }

  // A fresh token, and whether the session is still this user's.
  function freshToken() {
    return send(app.dataset.csrfUrl, { background: true }).then(
      function (answer) {
        if (answer.status === 200 && answer.body && answer.body.token) {
          if (String(answer.body.user) !== user) {
            throw { state: "other-user" };
          }
          return answer.body.token;
        }
        throw { state: answer.status === 401 ? "login" : "offline" };
      },
      function () {
        throw { state: "offline" };
      }
    );
  }

  function formData(fields, extra) {
    var data = new FormData();
    fields.concat(extra || []).forEach(function (pair) {
      data.append(pair[0], pair[1]);
    });
    return data;
  }

  function isCsrfFailure(answer) {
    return answer.status === 403 && answer.body && answer.body.error === "csrf_failed";
  }

  // ---- Status on the page

  function say(message) {
    document.querySelectorAll(".offline-status").forEach(function (status) {
      status.textContent = message;
    });
  }

  var STATE_TEXT = { login: "login", "other-user": "other-user", offline: "offline", sent: "sent" };

  // ---- Tally taps (static/js/tally.js shows them; they are sent from
  // any staff page, so logging out can send them first)

  function sendTapList(taps, token) {
    var hooks = window.OfflineQueue.tapHooks || {};
    function next(index, retried) {
      if (index >= taps.length) {
        return "sent";
      }
      var entry = taps[index];
      var body = formData([
        ["topic", entry.topic],
        ["step", entry.step],
        ["tap_key", entry.tap_key],
        ["tapped_at", entry.tapped_at],
      ]);
      return send(entry.url, { body: body, token: token, background: true }).then(function (answer) {
        if (answer.status === 200 && answer.body && "count" in answer.body) {
          return removeEntry("taps", entry.tap_key).then(function () {
            if (hooks.sent) {
              hooks.sent(entry, answer.body);
            }
            return next(index + 1, false);
          });
        }
        if (isCsrfFailure(answer) && !retried) {
          return freshToken().then(function (fresh) {
            token = fresh;
            return next(index, true);
          });
        }
        if (answer.status === 400 || answer.status === 404) {
          // A time outside the session, or the session is gone (cancelled):
          // said on the tally page, never counted, not sent again.
          if (hooks.refused) {
            hooks.refused((answer.body && answer.body.message) || String(answer.status));
          }
          return removeEntry("taps", entry.tap_key).then(function () {
            return next(index + 1, false);
          });
        }
        return answer.status === 401 ? "login" : "offline";
      });
    }
    return next(0, false);
  }

  var sendingTaps = null;

  function sendTaps() {
    if (!sendingTaps) {
      sendingTaps = withLock("esv-taps", function () {
        return mine("taps").then(function (taps) {
          if (!taps.length) {
            return "idle";
          }
          return freshToken().then(function (token) {
            return sendTapList(taps, token);
          });
        });
      })
        .catch(function (problem) {
          return (problem && problem.state) || "offline";
        })
        .then(function (state) {
          sendingTaps = null;
          if (state === "sent") {
            // The copy kept for offline shows the counts as they are now.
            keepPages([window.location.href]);
          }
          return state;
        });
    }
    return sendingTaps;
  }

  // ---- The visit queue

  var sending = null;

  function withLock(name, work) {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request(name + "-" + user, work);
    }
    return work();
  }

  function sendVisits(entries, token) {
    function next(index, retried) {
      if (index >= entries.length) {
        return "sent";
      }
      var entry = entries[index];
      var body = formData(entry.fields, [["queued_by", user]]);
      return send(app.dataset.syncUrl, { body: body, token: token, background: true }).then(function (answer) {
        var ok = answer.body && answer.body.status;
        if ((answer.status === 201 || answer.status === 200) && ok) {
          return removeEntry("visits", entry.key).then(function () {
            return next(index + 1, false);
          });
        }
        if (isCsrfFailure(answer) && !retried) {
          return freshToken().then(function (fresh) {
            token = fresh;
            return next(index, true);
          });
        }
        var refused = answer.body && (answer.body.error === "invalid" || answer.body.error === "forbidden");
        if ((answer.status === 400 || answer.status === 403) && refused) {
          // Stays, with the server's words, to correct or delete.
          entry.state = "refused";
          entry.errors = answer.body.errors || [{ label: "", message: answer.body.message }];
          return putEntry("visits", entry).then(function () {
            return next(index + 1, false);
          });
        }
        if (answer.status === 401) {
          return "login";
        }
        if (answer.body && answer.body.error === "other_user") {
          return "other-user";
        }
        return "offline";
      });
    }
    return next(0, false);
  }

  function flushVisits() {
    return mine("visits")
      .then(function (entries) {
        var waiting = entries.filter(function (entry) {
          return entry.state === "waiting";
        });
        if (!waiting.length) {
          return "idle";
        }
        say(text("sending"));
        return freshToken().then(function (token) {
          return sendVisits(waiting, token);
        });
      })
      .catch(function (problem) {
        return (problem && problem.state) || "offline";
      });
  }

  function sendQueue() {
    if (!sending) {
      sending = withLock("esv-visits", flushVisits).then(function (state) {
        sending = null;
        return render().then(function (count) {
          if (state === "sent" && count) {
            state = "refused";
          }
          if (state !== "idle") {
            // Nothing was waiting: what the page says stays.
            say(STATE_TEXT[state] ? text(STATE_TEXT[state]) : "");
          }
          return state;
        });
      });
    }
    return sending;
  }

  function entryView(entry) {
    var item = document.getElementById("offline-entry").content.firstElementChild.cloneNode(true);
    var refused = entry.state === "refused";
    item.classList.toggle("is-refused", refused);
    item.querySelector(".offline-entry-summary").textContent = entry.summary;
    item.querySelector(".offline-entry-state").textContent = refused ? text("refused") : text("waiting");
    var errors = item.querySelector(".offline-entry-errors");
    (refused ? entry.errors || [] : []).forEach(function (error) {
      var line = document.createElement("li");
      line.textContent = error.label ? error.label + ": " + error.message : error.message;
      errors.appendChild(line);
    });
    errors.hidden = !refused;
    item.querySelectorAll(".offline-entry-name").forEach(function (name) {
      name.textContent = ", " + entry.summary;
    });
    item.querySelector(".offline-entry-correct").href =
      app.dataset.formUrl + "?queued=" + encodeURIComponent(entry.key);
    item.querySelector(".offline-entry-delete").addEventListener("click", function () {
      if (window.confirm(text("confirm-delete"))) {
        removeEntry("visits", entry.key).then(render);
      }
    });
    return item;
  }

  // Every queue view on the page; resolves with the number of entries.
  function render() {
    return mine("visits").then(function (entries) {
      document.querySelectorAll(".offline-queue").forEach(function (section) {
        section.hidden = entries.length === 0;
        section.querySelector(".offline-queue-count").textContent = countText("visits", entries.length);
        var list = section.querySelector(".offline-queue-list");
        list.textContent = "";
        entries.forEach(function (entry) {
          list.appendChild(entryView(entry));
        });
      });
      return entries.length;
    });
  }

  // ---- The log form

  // The form's own wall-clock time (the server's zone), whatever the tablet's.
  function wallClockNow() {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: app.dataset.timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(new Date())
      .forEach(function (part) {
        parts[part.type] = part.value;
      });
    return parts.year + "-" + parts.month + "-" + parts.day + "T" + parts.hour + ":" + parts.minute;
  }

  // A page kept offline says "now" as it was when it was kept: a start
  // nobody touched is the time of saving instead.
  function freshenStart(form) {
    var start = form.elements.namedItem("started_at");
    var age = Date.now() - Number(app.dataset.renderedAt) * 1000;
    if (start && start.value === start.defaultValue && age > 5 * 60 * 1000) {
      start.value = wallClockNow();
    }
  }

  function labelOf(input) {
    var label = input.id && input.form.querySelector('label[for="' + input.id + '"]');
    return label ? label.textContent.trim() : "";
  }

  function summarize(form) {
    var parts = [];
    ["occurrence", "agency", "venue"].forEach(function (name) {
      var select = form.elements.namedItem(name);
      if (select && select.value && (name === "occurrence" || !form.elements.namedItem("occurrence").value)) {
        parts.push(select.options[select.selectedIndex].text);
      }
    });
    var start = form.elements.namedItem("started_at");
    if (start && start.value) {
      parts.push(start.value.replace("T", " "));
    }
    form.querySelectorAll('input[name="duration"]:checked, input[name="topics"]:checked').forEach(function (input) {
      parts.push(labelOf(input));
    });
    return parts.filter(Boolean).join(", ");
  }

  function formFields(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) {
      data.append(submitter.name, submitter.value);
    }
    var fields = [];
    data.forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken") {
        fields.push([name, String(value)]);
      }
    });
    return fields;
  }

  function fill(form, fields) {
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || element.name === "csrfmiddlewaretoken" || element.type === "submit") {
        return;
      }
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = false;
      } else if (element.tagName !== "BUTTON") {
        element.value = "";
      }
    });
    fields.forEach(function (pair) {
      var name = pair[0];
      var value = pair[1];
      form.querySelectorAll('[name="' + name + '"]').forEach(function (element) {
        if (element.type === "checkbox" || element.type === "radio") {
          element.checked = element.checked || element.value === value;
        } else if (element.tagName !== "BUTTON") {
          element.value = value;
        }
      });
    });
    var details = form.querySelector("details.more-details");
    if (details) {
      details.open = true;
    }
  }

  function keepForLater(form, entry) {
    return putEntry("visits", entry).then(function () {
      form.reset();
      form.elements.namedItem("submission_key").value = newKey();
      var url = new URL(window.location.href);
      if (url.searchParams.has("queued")) {
        url.searchParams.delete("queued");
        window.history.replaceState(null, "", url.href);
      }
      return render().then(function () {
        say(text("saved-offline"));
        window.scrollTo(0, 0);
      });
    });
  }

  // The server found errors: let the form post the ordinary way, with a
  // fresh token, so the page shows them as it always does.
  function postPlainly(form, submitter) {
    return freshToken()
      .then(function (token) {
        form.elements.namedItem("csrfmiddlewaretoken").value = token;
      })
      .catch(function () {
        return undefined;
      })
      .then(function () {
        form.dataset.plain = "1";
        form.requestSubmit(submitter && submitter.name ? submitter : undefined);
      });
  }

  function saveNow(form, entry, submitter) {
    var body = formData(entry.fields, [["interactive", "1"]]);
    var token = form.elements.namedItem("csrfmiddlewaretoken").value;
    return send(app.dataset.syncUrl, { body: body, token: token }).then(
      function (answer) {
        if ((answer.status === 201 || answer.status === 200) && answer.body && answer.body.next) {
          return removeEntry("visits", entry.key).then(function () {
            window.location.assign(answer.body.next);
          });
        }
        if (answer.status === 400 && answer.body && answer.body.errors) {
          return postPlainly(form, submitter);
        }
        // Logged out, an old token, a server or network in trouble: it
        // waits here, and goes when it can (a new token is fetched at once).
        return keepForLater(form, entry).then(function () {
          return isCsrfFailure(answer) ? sendQueue() : answer.status === 401 && say(text("login"));
        });
      },
      function () {
        return keepForLater(form, entry);
      }
    );
  }

  function setUpForm(form) {
    var busy = false;
    form.addEventListener("submit", function (event) {
      if (form.dataset.plain) {
        return;
      }
      event.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      freshenStart(form);
      var entry = {
        key: form.elements.namedItem("submission_key").value,
        fields: formFields(form, event.submitter),
        summary: summarize(form),
        state: "waiting",
      };
      var saved = navigator.onLine ? saveNow(form, entry, event.submitter) : keepForLater(form, entry);
      saved.then(
        function () {
          busy = false;
        },
        function () {
          busy = false;
        }
      );
    });
    var queued = new URLSearchParams(window.location.search).get("queued");
    if (queued) {
      getEntry("visits", queued).then(function (entry) {
        if (entry) {
          fill(form, entry.fields);
          say(text("correcting"));
        }
      });
    }
  }

  // ---- Logging out

  function serviceWorkerSays(message) {
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage(message);
    }
  }

  function logOut() {
    var form = app.querySelector(".logout-form");
    serviceWorkerSays({ type: "forget" });
    if (!navigator.onLine) {
      // Done when the network is back, by the next page that loads.
      window.localStorage.setItem(LOGOUT_PENDING, "1");
      window.location.assign(app.dataset.offlineUrl);
      return;
    }
    window.localStorage.removeItem(LOGOUT_PENDING);
    freshToken().then(
      function (token) {
        form.elements.namedItem("csrfmiddlewaretoken").value = token;
        form.dataset.confirmed = "1";
        form.requestSubmit();
      },
      function (problem) {
        if (problem && problem.state === "login") {
          window.location.assign(app.dataset.loginUrl);
        } else {
          window.localStorage.setItem(LOGOUT_PENDING, "1");
          window.location.assign(app.dataset.offlineUrl);
        }
      }
    );
  }

  function waitingCounts() {
    return Promise.all([mine("visits"), mine("taps")]).then(function (lists) {
      return { visits: lists[0].length, taps: lists[1].length };
    });
  }

  function askBeforeLoggingOut(counts) {
    var dialog = document.getElementById("offline-logout-dialog");
    var lines = [];
    if (counts.visits) {
      lines.push(countText("visits", counts.visits));
    }
    if (counts.taps) {
      lines.push(countText("taps", counts.taps));
    }
    if (!dialog || !dialog.showModal) {
      if (window.confirm(lines.join(". "))) {
        logOut();
      }
      return;
    }
    dialog.querySelector(".offline-logout-count").textContent = lines.join(". ") + ".";
    dialog.showModal();
  }

  function setUpLogout() {
    var form = app.querySelector(".logout-form");
    var dialog = document.getElementById("offline-logout-dialog");
    form.addEventListener("submit", function (event) {
      if (form.dataset.confirmed) {
        return;
      }
      event.preventDefault();
      waitingCounts().then(function (counts) {
        if (counts.visits || counts.taps) {
          askBeforeLoggingOut(counts);
        } else {
          logOut();
        }
      });
    });
    if (!dialog) {
      return;
    }
    dialog.addEventListener("click", function (event) {
      var choice = event.target.closest && event.target.closest("[data-choice]");
      if (!choice) {
        return;
      }
      dialog.close();
      if (choice.dataset.choice === "logout") {
        logOut();
      } else if (choice.dataset.choice === "send") {
        Promise.all([sendQueue(), sendTaps()])
          .then(waitingCounts)
          .then(function (counts) {
            if (!counts.visits && !counts.taps) {
              logOut();
            }
          });
      }
    });
  }

  // ---- Idle: the device's side of STAFF_IDLE_MINUTES, also offline

  function lastActivity() {
    var noted = Number(window.localStorage.getItem(LAST_ACTIVITY)) || 0;
    // The server saw the user when it made this page.
    return Math.max(noted, Number(app.dataset.renderedAt) * 1000);
  }

  function setUpIdleLogout() {
    var minutes = Number(app.dataset.idleMinutes) || 0;
    if (!minutes) {
      return false;
    }
    var limit = minutes * 60 * 1000;
    if (Date.now() - lastActivity() > limit) {
      logOut();
      return true;
    }
    var noted = 0;
    function note() {
      if (Date.now() - noted > 10000) {
        noted = Date.now();
        window.localStorage.setItem(LAST_ACTIVITY, String(noted));
      }
    }
    note();
    ["pointerdown", "keydown"].forEach(function (type) {
      document.addEventListener(type, note, { passive: true });
    });
    window.setInterval(function () {
      if (Date.now() - lastActivity() > limit) {
        logOut();
      }
    }, 30000);
    return false;
  }

  // ---- The service worker

  function keepPages(urls) {
    if (!navigator.onLine || !navigator.serviceWorker) {
      return;
    }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) {
        registration.active.postMessage({ type: "keep", user: user, urls: urls });
      }
    });
  }

  function setUpServiceWorker() {
    if (!document.querySelector('link[rel="manifest"]') || !("serviceWorker" in navigator)) {
      return;
    }
    navigator.serviceWorker.register(app.dataset.swUrl, { scope: app.dataset.scope }).catch(function () {
      return undefined;
    });
    var urls = [window.location.href, app.dataset.scope, app.dataset.formUrl];
    document.querySelectorAll("a[data-keep-offline]").forEach(function (link) {
      urls.push(link.href);
    });
    keepPages(
      urls.filter(function (url, index) {
        return urls.indexOf(url) === index;
      })
    );
  }

  // ---- Start

  window.OfflineQueue = {
    user: user,
    text: text,
    countText: countText,
    newKey: newKey,
    mine: mine,
    put: putEntry,
    remove: removeEntry,
    send: send,
    freshToken: freshToken,
    withLock: withLock,
    isCsrfFailure: isCsrfFailure,
    keepPages: keepPages,
    sendVisits: sendQueue,
    sendTaps: sendTaps,
    tapHooks: null,
  };

  if (window.localStorage.getItem(LOGOUT_PENDING) && navigator.onLine) {
    logOut();
    return;
  }
  if (setUpIdleLogout()) {
    return;
  }
  setUpLogout();
  setUpServiceWorker();
  var form = document.querySelector("form[data-offline-log]");
  if (form) {
    setUpForm(form);
  }
  document.querySelectorAll(".offline-send-now").forEach(function (button) {
    button.addEventListener("click", sendQueue);
  });
  window.addEventListener("online", function () {
    sendQueue();
    sendTaps();
  });
  render()
    .then(sendQueue)
    .then(function () {
      // A tally page sends its taps itself, once it shows them.
      return document.querySelector(".tally-form") ? undefined : sendTaps();
    });
})();

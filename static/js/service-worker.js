// The staff pages' service worker. visitors/offline_views.py serves it at
// /staff/sw.js (so its scope is the staff pages) and puts OFFLINE_CONFIG
// before this file: the version (a hash of these files, so a deploy makes
// a new worker and new caches), the static files every page needs, and
// the addresses below.
//
// - Static files: from the shared cache, the same for everyone.
// - Staff pages: from the network; offline, the last copy kept FOR THE
//   USER who is logged in on this device (a cache per user id, which the
//   server names in the X-Staff-User header). A copy for another user is
//   never shown: a page of someone else's is deleted when a new user
//   appears, and the user's pages when they log out.
// - Nothing else: public pages are outside the scope, and JSON answers
//   (the queue, CSRF tokens) always go to the network.
"use strict";

var CONFIG = self.OFFLINE_CONFIG;
var PREFIX = "esv-";
var SHELL_CACHE = PREFIX + "shell-" + CONFIG.version;
var META_CACHE = PREFIX + "meta";
var USER_ENTRY = "/__offline__/user";
var SCOPE_PATH = new URL(self.registration.scope).pathname;
var AGENCY_COLOURS = CONFIG.shell[CONFIG.shell.length - 1];

function pagesCacheName(user) {
  return PREFIX + "pages-" + CONFIG.version + "-user-" + user;
}

function currentUser() {
  return caches
    .open(META_CACHE)
    .then(function (cache) {
      return cache.match(USER_ENTRY);
    })
    .then(function (response) {
      return response ? response.text() : "";
    });
}

function deletePageCaches(keep) {
  return caches.keys().then(function (names) {
    return Promise.all(
      names
        .filter(function (name) {
          return name.indexOf(PREFIX + "pages-") === 0 && name !== keep;
        })
        .map(function (name) {
          return caches.delete(name);
        })
    );
  });
}

// Whoever the server says is logged in now: another user's pages go.
function setUser(user) {
  return currentUser().then(function (previous) {
    if (previous === user) {
      return undefined;
    }
    return caches
      .open(META_CACHE)
      .then(function (cache) {
        return cache.put(USER_ENTRY, new Response(user));
      })
      .then(function () {
        return deletePageCaches(pagesCacheName(user));
      });
  });
}

function forgetUser() {
  return caches
    .open(META_CACHE)
    .then(function (cache) {
      return cache.delete(USER_ENTRY);
    })
    .then(function () {
      return deletePageCaches(null);
    });
}

// Keep a staff page's copy for the user the server named, only when the
// page is that user's (a login page after a redirect names nobody).
function keepPage(url, response) {
  var user = response.headers.get("X-Staff-User");
  if (!user || !response.ok || response.type !== "basic") {
    return Promise.resolve();
  }
  var copy = response.clone();
  return setUser(user).then(function () {
    return caches.open(pagesCacheName(user)).then(function (cache) {
      return cache.put(url, copy);
    });
  });
}

function keptPage(request) {
  return currentUser().then(function (user) {
    if (!user) {
      return undefined;
    }
    return caches.open(pagesCacheName(user)).then(function (cache) {
      // Pages vary on the cookie, which a worker's request never shows.
      var options = { ignoreVary: true };
      var plain = new URL(request.url);
      plain.search = "";
      return cache.match(request, options).then(function (exact) {
        // The log form for a time not kept: the plain form will do.
        return (
          exact ||
          cache.match(plain.href, options).then(function (page) {
            return page || cache.match(request, { ignoreSearch: true, ignoreVary: true });
          })
        );
      });
    });
  });
}

function offlineAnswer(request) {
  return keptPage(request).then(function (kept) {
    if (kept) {
      return kept;
    }
    return caches.match(CONFIG.offlinePage, { ignoreVary: true }).then(function (page) {
      return page || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } });
    });
  });
}

function staffPage(event) {
  return fetch(event.request)
    .then(function (response) {
      if (response.status >= 500) {
        return keptPage(event.request).then(function (kept) {
          return kept || response;
        });
      }
      event.waitUntil(keepPage(event.request.url, response));
      return response;
    })
    .catch(function () {
      return offlineAnswer(event.request);
    });
}

function staticFile(request) {
  return caches.match(request).then(function (cached) {
    return cached || fetch(request);
  });
}

function networkThenCache(request) {
  return fetch(request)
    .then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(SHELL_CACHE).then(function (cache) {
          cache.put(request, copy);
        });
      }
      return response;
    })
    .catch(function () {
      return caches.match(request).then(function (cached) {
        return cached || Response.error();
      });
    });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then(function (cache) {
        return cache.addAll(CONFIG.shell);
      })
      .then(function () {
        return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  // The old version's files and pages go: the pages name old file names.
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              var current = name === SHELL_CACHE || name === META_CACHE;
              var pagesOfThisVersion = name.indexOf(PREFIX + "pages-" + CONFIG.version + "-") === 0;
              return name.indexOf(PREFIX) === 0 && !current && !pagesOfThisVersion;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method === "POST" && url.pathname === CONFIG.logout) {
    // Logging out: this tablet keeps none of the user's pages.
    event.waitUntil(forgetUser());
    return;
  }
  if (request.method !== "GET") {
    return;
  }
  if (url.pathname.indexOf(CONFIG.staticPrefix) === 0) {
    event.respondWith(staticFile(request));
  } else if (url.href === new URL(AGENCY_COLOURS, self.location.origin).href) {
    event.respondWith(networkThenCache(request));
  } else if (request.mode === "navigate" && url.pathname.indexOf(SCOPE_PATH) === 0) {
    event.respondWith(staffPage(event));
  }
});

// From the staff pages' script (static/js/offline.js): keep the pages the
// user needs offline (the log form, "my day", today's tallies), or forget
// the user (logged out, or idle too long while offline).
self.addEventListener("message", function (event) {
  var message = event.data || {};
  if (message.type === "keep" && message.user) {
    var urls = (message.urls || []).filter(function (href) {
      var url = new URL(href, self.location.origin);
      return url.origin === self.location.origin && url.pathname.indexOf(SCOPE_PATH) === 0;
    });
    event.waitUntil(
      setUser(String(message.user)).then(function () {
        return Promise.all(
          urls.map(function (href) {
            return fetch(href, { credentials: "same-origin", headers: { "X-Background-Sync": "1" } })
              .then(function (response) {
                var sameUser = response.headers.get("X-Staff-User") === String(message.user);
                return sameUser && !response.redirected ? keepPage(href, response) : undefined;
              })
              .catch(function () {
                return undefined;
              });
          })
        );
      })
    );
  } else if (message.type === "forget") {
    event.waitUntil(forgetUser());
  }
});

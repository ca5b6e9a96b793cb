// Live parts of a console page (office/web/live.py): elements with data-live="TOPIC" and an id.
// When the server says a topic changed, the page is fetched again and those elements are swapped
// with their new versions. A part holding the keyboard focus (an operator choosing or typing) is
// swapped once the focus leaves it. No framework, no build step.
(function () {
  "use strict";
  var parts = document.querySelectorAll("[data-live][id]");
  if (!parts.length || !window.EventSource) { return; }
  var topics = [];
  parts.forEach(function (el) {
    el.getAttribute("data-live").split(",").forEach(function (t) { if (topics.indexOf(t) < 0) { topics.push(t); } });
  });
  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, {credentials: "same-origin", headers: {"X-Live": "1"}})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (el) {
          var fresh = doc.getElementById(el.id);
          if (!fresh) { return; }
          if (el.contains(document.activeElement) && document.activeElement !== document.body) {
            el.addEventListener("focusout", function later() {
              el.removeEventListener("focusout", later); setTimeout(refresh, 0);
            });
            return;
          }
          el.replaceWith(document.importNode(fresh, true));
        });
        document.body.setAttribute("data-live-updated", String(Date.now()));
      })
      .catch(function () {})
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  var url = "/api/live?topics=" + encodeURIComponent(topics.join(",")), source = null;
  function open() {
    if (source) { return; }
    source = new EventSource(url);
    source.addEventListener("change", refresh);
  }
  // a page left behind (history cache) must give its connection back: browsers allow only a few
  // connections per server, and a held stream would stall the next page's loading
  window.addEventListener("pagehide", function () { if (source) { source.close(); source = null; } });
  window.addEventListener("pageshow", function (e) { if (e.persisted) { open(); refresh(); } });
  open();
})();

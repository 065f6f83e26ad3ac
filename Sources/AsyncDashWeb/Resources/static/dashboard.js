// AsyncDash dashboard: live updates (Server-Sent Events, polling fallback), the detail modal,
// relative times. No dependencies; works with the CSP `script-src 'self'`.
(function () {
  "use strict";
  var ICONS = { pending: "◷", in_progress: "▶", success: "✓", failed: "✗", cancelled: "⊘" };

  function relative(date) {
    var s = Math.round((Date.now() - date.getTime()) / 1000), future = s < 0; s = Math.abs(s);
    var text = s < 5 ? "just now" : s < 60 ? s + " s" : s < 3600 ? Math.round(s / 60) + " min" :
      s < 86400 ? Math.round(s / 3600) + " h" : Math.round(s / 86400) + " d";
    return text === "just now" ? text : future ? "in " + text : text + " ago";
  }
  function refreshTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime")); if (!isNaN(d)) t.textContent = relative(d);
    });
  }

  // ---- one task: the detail page and the modal ----
  function followTask(root) {
    var article = root.querySelector("#task-detail");
    if (!article || article.dataset.finished === "true") return function () {};
    var status = article.querySelector("#live-status"), label = status.querySelector(".label"),
      icon = status.querySelector(".icon"), message = article.querySelector("#live-message"),
      bar = article.querySelector("#live-bar"), progress = article.querySelector("#live-progress"),
      note = article.querySelector("#live-note"), log = article.querySelector("#live-log");
    var source = null, timer = null, stopped = false, last = "";
    function apply(s) {
      var key = s.status + "|" + s.progress_text + "|" + s.message;
      if (key === last) return; last = key;
      status.className = "badge status-" + s.status; label.textContent = s.status;
      icon.textContent = ICONS[s.status] || "•"; message.textContent = s.message || "";
      progress.textContent = s.progress_text || "";
      if (typeof s.percent === "number") { bar.hidden = false; bar.value = s.percent; bar.textContent = s.percent + "%"; }
      var item = document.createElement("li");
      item.textContent = new Date().toLocaleTimeString() + " — " + s.status + (s.progress_text ? " — " + s.progress_text : "") +
        (s.message ? " — " + s.message : "");
      item.dataset.status = s.status; item.dataset.progress = s.progress_text || "";
      log.appendChild(item);
      if (s.finished) { note.textContent = "Finished: " + s.status + "."; stop(); }
    }
    function stop() { stopped = true; if (source) source.close(); if (timer) clearTimeout(timer); }
    function poll() {
      if (stopped) return;
      fetch(article.dataset.poll, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.status === 200 || r.status === 286 ? r.json() : null; })
        .then(function (s) { if (s) apply(s); if (!stopped) timer = setTimeout(poll, 1000); })
        .catch(function () { if (!stopped) timer = setTimeout(poll, 3000); });
    }
    if (window.EventSource) {
      source = new EventSource(article.dataset.stream);
      source.addEventListener("task", function (e) { apply(JSON.parse(e.data)); });
      source.onerror = function () {
        // EventSource reconnects by itself (state CONNECTING); poll only once it gave up.
        if (stopped || source.readyState !== EventSource.CLOSED) return;
        note.textContent = "Live stream lost; polling instead."; poll();
      };
    } else { poll(); }
    return stop;
  }

  // ---- the list: refresh the rows when something changes ----
  function followList() {
    var list = document.getElementById("task-list");
    if (!list) return;
    var note = document.getElementById("list-note"), follow = list.dataset.follow === "true", pending = false;
    function changed() {
      if (!follow) { note.textContent = "Tasks changed — reload to see them on this page."; return; }
      reload();
    }
    function reload() {
      if (pending) return; pending = true;
      fetch(list.dataset.fragment, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { pending = false; if (html !== null) { list.innerHTML = html; refreshTimes(list); } })
        .catch(function () { pending = false; });
    }
    if (window.EventSource) {
      var source = new EventSource(list.dataset.stream);
      source.addEventListener("changed", changed);
      // The server ends a stream after 10 minutes; EventSource reconnects (state CONNECTING).
      // Only when it gives up does the first page fall back to refreshing every 5 s.
      source.onerror = function () { if (source.readyState === EventSource.CLOSED && follow) setInterval(reload, 5000); };
    } else if (follow) { setInterval(reload, 5000); }
  }

  // ---- the modal over the list (the link still works without JS) ----
  function modal() {
    var dialog = document.getElementById("modal");
    if (!dialog || !dialog.showModal) return;
    var body = document.getElementById("modal-body"), stop = function () {};
    document.addEventListener("click", function (e) {
      var link = e.target.closest && e.target.closest("a[data-modal]");
      if (!link || e.metaKey || e.ctrlKey || e.shiftKey) return;
      e.preventDefault();
      fetch(link.href + (link.href.indexOf("?") < 0 ? "?" : "&") + "fragment=modal", { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) { body.innerHTML = html; refreshTimes(body); dialog.showModal(); stop = followTask(body); })
        .catch(function () { window.location = link.href; });
    });
    dialog.addEventListener("close", function () { stop(); body.innerHTML = ""; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    refreshTimes(); setInterval(refreshTimes, 30000);
    followTask(document); followList(); modal();
  });
})();

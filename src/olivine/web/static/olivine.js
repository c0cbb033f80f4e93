// Olivine UI: live status and logs without a framework.
//  [data-poll=BLOCK]  re-fetches this page's BLOCK (?partial=BLOCK) every data-interval ms and
//                     swaps it in, while the server still marks it live (keeps data-poll).
//  pre[data-log]      follows a task's log: appends chunks after data-after until the task ends.
//  [data-copy=ID]     copies the text of element ID;  [data-confirm] asks before submitting.
(function () {
  "use strict";
  function partialUrl(block) {
    var u = new URL(window.location.href);
    u.searchParams.set("partial", block);
    return u.toString();
  }
  function poll(el) {
    var block = el.getAttribute("data-poll");
    var wait = parseInt(el.getAttribute("data-interval") || "3000", 10);
    setTimeout(function () {
      fetch(partialUrl(block), { credentials: "same-origin", headers: { "X-Requested-With": "olivine" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById(el.id);
          if (!fresh) return;
          el.replaceWith(fresh);
          wire(fresh);
        })
        .catch(function () { setTimeout(function () { poll(el); }, wait * 3); });
    }, wait);
  }
  function followLog(pre) {
    var after = parseInt(pre.getAttribute("data-after") || "-1", 10);
    function step() {
      fetch(pre.getAttribute("data-log") + "?after=" + after, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) {
          var atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
          data.chunks.forEach(function (c) {
            pre.appendChild(document.createTextNode(c.text));
            after = c.seq;
          });
          pre.setAttribute("data-after", String(after));
          if (atEnd) pre.scrollTop = pre.scrollHeight;
          if (data.done) { pre.removeAttribute("data-live"); pre.setAttribute("data-status", data.status); return; }
          setTimeout(step, data.chunks.length ? 300 : 1500);
        })
        .catch(function () { setTimeout(step, 5000); });
    }
    step();
  }
  function wire(root) {
    if (root.hasAttribute && root.hasAttribute("data-poll")) poll(root);
    root.querySelectorAll("[data-poll]").forEach(poll);
    root.querySelectorAll("pre.tail, pre[data-log][data-live]").forEach(function (pre) {
      pre.scrollTop = pre.scrollHeight;
    });
    root.querySelectorAll("pre[data-log][data-live]").forEach(followLog);
    root.querySelectorAll("[data-copy]").forEach(function (b) {
      b.addEventListener("click", function () {
        var text = document.getElementById(b.getAttribute("data-copy")).textContent;
        navigator.clipboard.writeText(text).then(function () { b.textContent = "Copied"; });
      });
    });
  }
  document.addEventListener("submit", function (e) {
    var btn = e.submitter;
    var msg = (btn && btn.getAttribute("data-confirm")) || e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); return; }
    if (btn && e.target.method.toLowerCase() === "post") {
      setTimeout(function () { btn.disabled = true; }, 0);
    }
  });
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
})();

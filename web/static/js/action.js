// Action page: reload when a proof photo finishes its checks.
(function () {
  "use strict";
  var el = document.getElementById("action-poll");
  if (!el) return;
  var waiting = document.querySelectorAll("#proofs .tag.info").length > 0;
  if (!waiting) return;
  var t = setInterval(function () {
    fetch(el.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (a) {
      var busy = a.proofs.some(function (p) { return p.status === "queued" || p.status === "analysing"; });
      if (!busy) { clearInterval(t); window.location.reload(); }
    }).catch(function () {});
  }, 1500);
})();

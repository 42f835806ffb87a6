// Dashboard charts (Chart.js, served from /static/vendor): groups, monthly trend, most failed items.
(function () {
  "use strict";
  var el = document.getElementById("dash-data");
  if (!el || typeof Chart === "undefined") return;
  fetch(el.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
    var label = el.dataset.label;
    new Chart(document.getElementById("chart-groups"), {
      type: "bar",
      data: { labels: d.groups.map(function (g) { return g.name; }), datasets: [{ label: label, data: d.groups.map(function (g) { return g.score; }), backgroundColor: "#1f5fa8" }] },
      options: { animation: false, scales: { y: { min: 0, max: 100 } } }
    });
    new Chart(document.getElementById("chart-trend"), {
      type: "line",
      data: { labels: d.trend.map(function (t) { return t.month; }), datasets: [{ label: label, data: d.trend.map(function (t) { return t.score; }), borderColor: "#176b2c", tension: 0.2 }] },
      options: { animation: false, scales: { y: { min: 0, max: 100 } } }
    });
    new Chart(document.getElementById("chart-failed"), {
      type: "bar",
      data: { labels: d.most_failed.map(function (m) { return m.item_id; }), datasets: [{ label: el.dataset.failedLabel, data: d.most_failed.map(function (m) { return m.failed; }), backgroundColor: "#b3261e" }] },
      options: { animation: false, indexAxis: "y" }
    });
    el.dataset.rendered = "1";
  });
})();

/* Draws every <canvas data-chart="{...}"> with the vendored Chart.js. The page carries the
   data as JSON in the attribute, so no inline script is needed (the CSP forbids it). */
(function () {
  "use strict";
  var COLOURS = ["#1f5f9e", "#d9822b", "#2e8b57", "#8e44ad", "#c0392b"];

  function targetLine(spec) {
    if (!spec.target) { return null; }
    var index = spec.labels.indexOf(spec.target);
    if (index < 0) {
      index = spec.labels.findIndex(function (day) { return day > spec.target; });
    }
    return index < 0 ? null : index;
  }

  function draw(canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    var datasets = spec.datasets.map(function (set, i) {
      var colour = COLOURS[i % COLOURS.length];
      return { label: set.label, data: set.data, borderColor: colour, backgroundColor: colour,
               pointRadius: spec.type === "line" ? 0 : undefined, fill: false, tension: 0.1 };
    });
    var target = targetLine(spec);
    if (target !== null) {
      var top = Math.max.apply(null, datasets.map(function (set) {
        return Math.max.apply(null, set.data.concat([0]));
      }));
      datasets.push({ label: canvas.getAttribute("data-target-label") || "Target",
                      data: spec.labels.map(function (_, i) { return i === target ? top : null; }),
                      type: "bar", backgroundColor: "#c0392b", barThickness: 3 });
    }
    new window.Chart(canvas, {
      type: spec.type, data: { labels: spec.labels, datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 scales: { x: { stacked: !!spec.stacked }, y: { beginAtZero: true, stacked: !!spec.stacked } } }
    });
  }

  function start() {
    if (!window.Chart) { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

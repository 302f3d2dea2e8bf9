// Draw every chart on the page: <div class="chart" data-chart="ID"> with its figure in
// <script type="application/json" id="chart-ID">. No inline scripts (the pages' CSP forbids them).
(function () {
  "use strict";
  function draw() {
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      var src = document.getElementById("chart-" + el.dataset.chart);
      if (!src || !window.Plotly) { return; }
      var fig = JSON.parse(src.textContent);
      window.Plotly.newPlot(el, fig.data, fig.layout, {responsive: true, displaylogo: false, displayModeBar: false});
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();

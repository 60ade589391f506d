// The board's chart (ECharts, served by SafeRound): open hazards by category, stacked by severity.
// Drawn again after every htmx refresh of the figures.
(function () {
  var COLOURS = { red: "#d32f2f", yellow: "#f9a825", blue: "#1e63c4" };
  function draw() {
    var el = document.getElementById("open-chart");
    if (!el || typeof echarts === "undefined") return;
    var names = JSON.parse(el.dataset.categories);
    var values = JSON.parse(el.dataset.values);
    var keys = Object.keys(values);
    var series = JSON.parse(el.dataset.series).map(function (pair) {
      return {
        name: pair[1], type: "bar", stack: "open", itemStyle: { color: COLOURS[pair[0]] },
        data: keys.map(function (k) { return values[k][pair[0]]; }),
      };
    });
    var chart = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      grid: { left: 40, right: 16, top: 12, bottom: 28, containLabel: true },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: series,
    });
    el.dataset.ready = "1";
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.body.addEventListener("htmx:afterSwap", draw);
})();

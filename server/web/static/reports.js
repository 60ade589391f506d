// The report page's charts (ECharts, served by SafeRound): hazards by category × severity, found vs closed
// over the last 12 periods, and each company's on-time share.
(function () {
  var COLOURS = { red: "#d32f2f", yellow: "#f9a825", blue: "#1e63c4", found: "#d32f2f", closed: "#2e7d32" };
  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") return;
    var c = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: "svg" });
    option.animation = false;
    option.textStyle = { fontFamily: getComputedStyle(document.body).fontFamily };
    option.grid = option.grid || { left: 40, right: 16, top: 28, bottom: 28, containLabel: true };
    c.setOption(option);
    el.dataset.ready = "1";
  }
  function draw() {
    var node = document.getElementById("chart-data");
    if (!node) return;
    var d = JSON.parse(node.textContent);
    chart("chart-categories", {
      legend: { top: 0 },
      xAxis: { type: "category", data: d.categories.map(function (c) { return d.category_names[c]; }),
               axisLabel: { interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: d.severities.map(function (s) {
        return { name: d.severity_names[s], type: "bar", stack: "all", itemStyle: { color: COLOURS[s] },
                 data: d.categories.map(function (c) { return d.grid[c][s]; }) };
      }),
    });
    chart("chart-trend", {
      legend: { top: 0 },
      xAxis: { type: "category", data: d.trend.map(function (t) { return t.period; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: d.words.found, type: "bar", itemStyle: { color: COLOURS.found },
          data: d.trend.map(function (t) { return t.found; }) },
        { name: d.words.closed, type: "bar", itemStyle: { color: COLOURS.closed },
          data: d.trend.map(function (t) { return t.closed; }) },
      ],
    });
    chart("chart-companies", {
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", inverse: true, data: d.companies.map(function (c) { return c[0]; }) },
      series: [{ name: d.words.on_time, type: "bar", itemStyle: { color: COLOURS.closed },
                 data: d.companies.map(function (c) { return c[1] === null ? 0 : c[1]; }),
                 label: { show: true, position: "right", formatter: "{c}%" } }],
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();

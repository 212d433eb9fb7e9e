// Wasl staff console: draws the survey report's charts with chart.js from the figures the server put in
// #report-data (computed in SQL). Nothing is computed here beyond scaling shares to percentages, and every
// chart has the same numbers in the table next to it. In Arabic the charts read right to left: legends and
// tooltips are RTL and the x axis runs from the right, so the oldest period sits where an Arabic reader starts.
(function () {
  'use strict';
  var holder = document.getElementById('report-data');
  if (!holder || !window.Chart) return;
  var data = JSON.parse(holder.textContent || '{}');
  var rtl = data.dir === 'rtl';
  var L = data.labels;
  var Chart = window.Chart;

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.locale = data.locale;
  // Charts are redrawn only on load; motion adds nothing for a report (and respects reduced-motion settings).
  Chart.defaults.animation = false;

  var colours = { csat: '#0f6e5c', responseRate: '#7a8b99', average: '#9a6700', bars: ['#b3261e', '#d9822b', '#c9b200', '#5aa469', '#0f6e5c'] };
  var percent = function (v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; };
  var pctFormat = new Intl.NumberFormat(data.locale, { maximumFractionDigits: 1 });

  function baseOptions(extra) {
    var o = {
      responsive: true,
      maintainAspectRatio: false,
      locale: data.locale,
      // Room for the first and last date labels, which otherwise overhang the edge.
      layout: { padding: { left: 24, right: 24 } },
      plugins: {
        legend: { rtl: rtl, textDirection: data.dir, position: 'top' },
        tooltip: { rtl: rtl, textDirection: data.dir },
      },
      scales: {
        x: { reverse: rtl, ticks: { autoSkip: true } },
        y: { position: rtl ? 'right' : 'left', beginAtZero: true },
      },
    };
    Object.keys(extra || {}).forEach(function (k) { o[k] = extra[k]; });
    return o;
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  // Shares (CSAT, response rate) on a 0–100 % axis; the average rating on its own 1–5 axis.
  function figuresChart(id, rows, type) {
    if (!rows || !rows.length) return;
    var options = baseOptions();
    options.scales.y = { position: rtl ? 'right' : 'left', min: 0, max: 100, ticks: { callback: function (v) { return pctFormat.format(v) + '%'; } } };
    options.scales.y2 = { position: rtl ? 'left' : 'right', min: 0, max: 5, grid: { drawOnChartArea: false } };
    options.plugins.tooltip.callbacks = {
      label: function (item) {
        var v = item.parsed.y;
        return item.dataset.label + ': ' + (item.dataset.yAxisID === 'y2' ? pctFormat.format(v) : pctFormat.format(v) + '%');
      },
    };
    draw(id, {
      type: type,
      data: {
        labels: rows.map(function (r) { return r.label !== undefined ? r.label : r.period; }),
        datasets: [
          { label: L.csat, data: rows.map(function (r) { return percent(r.csat); }), backgroundColor: colours.csat, borderColor: colours.csat, yAxisID: 'y' },
          { label: L.responseRate, data: rows.map(function (r) { return percent(r.responseRate); }), backgroundColor: colours.responseRate, borderColor: colours.responseRate, yAxisID: 'y' },
          { label: L.average, data: rows.map(function (r) { return r.average; }), backgroundColor: colours.average, borderColor: colours.average, yAxisID: 'y2', type: 'line' },
        ],
      },
      options: options,
    });
  }

  var d = data.distribution || {};
  var stars = ['1', '2', '3', '4', '5'];
  var distOptions = baseOptions();
  distOptions.plugins.legend.display = false;
  distOptions.scales.y.ticks = { precision: 0 };
  draw('distribution-chart', {
    type: 'bar',
    data: {
      labels: stars.map(function (s) { return new Intl.NumberFormat(data.locale).format(Number(s)) + ' ★'; }),
      datasets: [{ label: L.count, data: stars.map(function (s) { return d[s] || 0; }), backgroundColor: colours.bars }],
    },
    options: distOptions,
  });
  figuresChart('trend-week-chart', data.trendWeek, 'line');
  figuresChart('trend-month-chart', data.trendMonth, 'line');
  figuresChart('by-channel-chart', data.byChannel, 'bar');
  figuresChart('by-request-type-chart', data.byRequestType, 'bar');
  if (data.byResearcher) figuresChart('by-researcher-chart', data.byResearcher, 'bar');
  document.body.setAttribute('data-charts', 'drawn');
})();

/* global document, window, uPlot */
// The report page's only script (inlined into report.html next to uPlot). It draws, per arm, a step
// lane with point events and one uPlot chart per panel that chart-data.ts prepared, all on the same
// x range, with the fault window shaded. Everything it shows comes from the JSON block; text reaches
// the page through textContent and uPlot's legend (also textContent), never as markup.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('scars-chart-data').textContent);

  var STEP_COLOURS = { inject: '#d97706', hold: '#dc2626', revert: '#2563eb' };
  var MARKER_STYLE = {
    fault: { colour: '#0f172a', shape: 'diamond' },
    evicted: { colour: '#9333ea', shape: 'triangle' },
    'eviction-refused': { colour: '#0d9488', shape: 'bar' },
    oom: { colour: '#b91c1c', shape: 'cross' },
    restart: { colour: '#ea580c', shape: 'circle' },
    'pod-deleted': { colour: '#1f2937', shape: 'cross' },
    'node-pressure': { colour: '#c026d3', shape: 'square' },
    credentials: { colour: '#be123c', shape: 'square' },
  };
  var SERIES_COLOURS = ['#2563eb', '#7c3aed', '#0891b2', '#16a34a', '#ca8a04', '#db2777', '#475569'];
  var AXIS_SIZE = 48;
  var LABEL_SIZE = 16;
  var charts = [];

  function px(u, v) {
    return Math.round(u.valToPos(v, 'x', true));
  }

  function shadeFaultWindow(u, arm) {
    if (!arm.faultWindow) return;
    var ctx = u.ctx;
    var left = px(u, arm.faultWindow.start / 1000);
    var right = px(u, arm.faultWindow.end / 1000);
    ctx.save();
    ctx.fillStyle = 'rgba(220, 38, 38, 0.08)';
    ctx.fillRect(left, u.bbox.top, Math.max(1, right - left), u.bbox.height);
    ctx.strokeStyle = 'rgba(220, 38, 38, 0.55)';
    ctx.setLineDash([4, 3]);
    ctx.lineWidth = 1;
    [left, right].forEach(function (x) {
      ctx.beginPath();
      ctx.moveTo(x + 0.5, u.bbox.top);
      ctx.lineTo(x + 0.5, u.bbox.top + u.bbox.height);
      ctx.stroke();
    });
    ctx.restore();
  }

  function markerLines(u, arm) {
    var ctx = u.ctx;
    ctx.save();
    ctx.lineWidth = 1;
    ctx.globalAlpha = 0.35;
    arm.markers.forEach(function (m) {
      if (m.kind === 'fault') return;
      var x = px(u, m.t / 1000) + 0.5;
      ctx.strokeStyle = MARKER_STYLE[m.kind].colour;
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
    });
    ctx.restore();
  }

  function glyph(ctx, shape, x, y, r) {
    ctx.beginPath();
    if (shape === 'circle') ctx.arc(x, y, r, 0, 2 * Math.PI);
    else if (shape === 'square') ctx.rect(x - r, y - r, 2 * r, 2 * r);
    else if (shape === 'triangle') {
      ctx.moveTo(x, y - r);
      ctx.lineTo(x + r, y + r);
      ctx.lineTo(x - r, y + r);
      ctx.closePath();
    } else if (shape === 'diamond') {
      ctx.moveTo(x, y - r);
      ctx.lineTo(x + r, y);
      ctx.lineTo(x, y + r);
      ctx.lineTo(x - r, y);
      ctx.closePath();
    } else if (shape === 'bar') ctx.rect(x - r / 3, y - r, (2 * r) / 3, 2 * r);
    if (shape === 'cross') {
      ctx.moveTo(x - r, y - r);
      ctx.lineTo(x + r, y + r);
      ctx.moveTo(x + r, y - r);
      ctx.lineTo(x - r, y + r);
      ctx.lineWidth = 2;
      ctx.stroke();
    } else ctx.fill();
  }

  // The lane: one row of step segments (named where they fit) and one row of event glyphs.
  function drawLane(u, arm) {
    var ctx = u.ctx;
    var dpr = window.devicePixelRatio || 1;
    var top = u.bbox.top;
    var h = u.bbox.height;
    var rowH = Math.round(h * 0.5);
    ctx.save();
    ctx.font = Math.round(11 * dpr) + 'px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    arm.steps.forEach(function (s, i) {
      var l = px(u, s.start / 1000);
      var r = Math.max(l + 2, px(u, s.end / 1000));
      ctx.fillStyle = !s.ok ? '#fca5a5' : STEP_COLOURS[s.step] || (i % 2 ? '#cbd5e1' : '#e2e8f0');
      ctx.fillRect(l, top + 2, r - l - 1, rowH - 4);
      var w = ctx.measureText(s.step).width;
      if (w + 6 * dpr < r - l) {
        ctx.fillStyle = STEP_COLOURS[s.step] ? '#ffffff' : '#334155';
        ctx.fillText(s.step, l + 3 * dpr, top + rowH / 2);
      }
    });
    var y = top + rowH + (h - rowH) / 2;
    arm.markers.forEach(function (m) {
      var st = MARKER_STYLE[m.kind];
      ctx.fillStyle = st.colour;
      ctx.strokeStyle = st.colour;
      glyph(ctx, st.shape, px(u, m.t / 1000), y, 5 * dpr);
    });
    ctx.restore();
  }

  function xAxis(show) {
    return {
      scale: 'x',
      show: show,
      size: show ? 34 : 0,
      stroke: '#475569',
      grid: { stroke: '#eef2f7' },
      ticks: { stroke: '#cbd5e1' },
      values: function (u, vals) {
        return vals.map(function (v) {
          return v + 's';
        });
      },
    };
  }

  // Every chart of an arm reserves the same room left and right (size + label), so their plot
  // areas, and with them the x positions of steps, markers and samples, line up.
  function blankAxis(side) {
    return {
      side: side,
      size: AXIS_SIZE,
      label: '',
      labelSize: LABEL_SIZE,
      stroke: 'transparent',
      values: function () {
        return [];
      },
      grid: { show: false },
      ticks: { show: false },
    };
  }

  function laneChart(el, arm, width) {
    var opts = {
      width: width,
      height: arm.panels.length === 0 ? 98 : 64,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false, range: [0, arm.end / 1000] }, y: { range: [0, 1] } },
      axes: [xAxis(arm.panels.length === 0), blankAxis(3), blankAxis(1)],
      series: [{}],
      hooks: {
        drawClear: [
          function (u) {
            shadeFaultWindow(u, arm);
          },
        ],
        draw: [
          function (u) {
            drawLane(u, arm);
          },
        ],
      },
    };
    return new uPlot(opts, [[0, arm.end / 1000]], el);
  }

  function panelChart(el, arm, panel, width, last) {
    var hasPercent = panel.series.some(function (s) {
      return s.scale === '%';
    });
    var series = [{ label: 't' }].concat(
      panel.series.map(function (s, i) {
        var colour = s.scale === '%' ? '#dc2626' : SERIES_COLOURS[i % SERIES_COLOURS.length];
        return {
          label: s.label,
          scale: s.scale,
          stroke: colour,
          width: 2,
          spanGaps: true,
          fill: s.scale === '%' ? 'rgba(220, 38, 38, 0.10)' : undefined,
          paths: s.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined,
          points: { show: panel.x.length < 60, size: 5 },
          value: function (u, v) {
            return v == null ? '–' : Math.round(v * 10) / 10 + (s.scale === '%' ? ' %' : ' ' + panel.unit);
          },
        };
      }),
    );
    var scales = { x: { time: false, range: [0, arm.end / 1000] }, y: { range: yRange } };
    if (hasPercent) scales['%'] = { range: [0, 100] };
    var opts = {
      width: width,
      height: 170,
      scales: scales,
      series: series,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      axes: [
        xAxis(last),
        {
          scale: 'y',
          size: AXIS_SIZE,
          label: panel.unit,
          labelSize: LABEL_SIZE,
          stroke: '#475569',
          grid: { stroke: '#eef2f7' },
          ticks: { stroke: '#cbd5e1' },
        },
        {
          scale: hasPercent ? '%' : 'y',
          side: 1,
          size: AXIS_SIZE,
          label: hasPercent ? 'errors %' : '',
          labelSize: LABEL_SIZE,
          stroke: hasPercent ? '#dc2626' : 'transparent',
          grid: { show: false },
          ticks: { show: hasPercent, stroke: '#fca5a5' },
          values: hasPercent
            ? undefined
            : function () {
                return [];
              },
        },
      ],
      hooks: {
        drawClear: [
          function (u) {
            shadeFaultWindow(u, arm);
            markerLines(u, arm);
          },
        ],
      },
    };
    return new uPlot(
      opts,
      [panel.x].concat(
        panel.series.map(function (s) {
          return s.values;
        }),
      ),
      el,
    );
  }

  // Counts start at zero so a drop from 3 to 2 Ready pods does not look like a cliff.
  function yRange(u, min, max) {
    var hi = max > 0 ? max * 1.1 : 1;
    return [Math.min(0, min), hi];
  }

  function widthOf(el) {
    return Math.max(280, Math.floor(el.getBoundingClientRect().width));
  }

  document.querySelectorAll('[data-arm-chart]').forEach(function (el) {
    var arm = data.arms[el.getAttribute('data-arm-chart')];
    if (!arm) return;
    var width = widthOf(el);
    var lane = document.createElement('div');
    lane.className = 'lane';
    el.appendChild(lane);
    charts.push({ el: el, chart: laneChart(lane, arm, width) });
    arm.panels.forEach(function (p, i) {
      var box = document.createElement('div');
      box.className = 'panel panel-' + p.id;
      var title = document.createElement('div');
      title.className = 'panel-title';
      title.textContent = p.title;
      box.appendChild(title);
      el.appendChild(box);
      charts.push({ el: el, chart: panelChart(box, arm, p, width, i === arm.panels.length - 1) });
    });
    el.setAttribute('data-rendered', String(1 + arm.panels.length));
  });

  function resizeAll() {
    charts.forEach(function (c) {
      c.chart.setSize({ width: widthOf(c.el), height: c.chart.height });
    });
  }
  var pending = 0;
  window.addEventListener('resize', function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(resizeAll, 100);
  });
  // Printed pages are narrower than the screen: fit the canvases before the browser lays out pages.
  window.addEventListener('beforeprint', resizeAll);
  window.addEventListener('afterprint', resizeAll);
  document.documentElement.setAttribute('data-charts', String(charts.length));
})();

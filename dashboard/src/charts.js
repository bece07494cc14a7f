// Charts with uPlot over the series the gateway keeps (GET /api/v1/series; names in
// src/app/admin_api/live_feed.cc).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLORS = ['#1f6feb', '#2e7d32', '#c62828', '#ef6c00', '#6a1b9a', '#00838f', '#5d4037',
                '#ad1457'];

export function lineChart(target, title, names, width = 520) {
  const series = [{}].concat(names.map((n, i) => ({
    label: n, stroke: COLORS[i % COLORS.length], width: 1.5, points: { show: false },
  })));
  const opts = { title, width, height: 220, series, scales: { x: { time: true } },
                 axes: [{}, { size: 50 }] };
  const data = [[]].concat(names.map(() => []));
  const plot = new uPlot(opts, data, target);
  return {
    names,
    plot,
    // Replaces the data with the columns of a /api/v1/series answer.
    load(answer) {
      const cols = [answer.time].concat(names.map((n) => answer.series[n] || []));
      plot.setData(cols);
    },
    // Appends one stream tick, keeping at most `keep` points.
    push(time, values, keep = 3600) {
      const d = plot.data.map((c) => Array.from(c));
      d[0].push(time);
      names.forEach((n, i) => d[i + 1].push(values[n] ?? null));
      if (d[0].length > keep) d.forEach((c) => c.splice(0, c.length - keep));
      plot.setData(d);
    },
  };
}

// The dashboard's charts, with Chart.js (the UMD build, window.Chart). Time axes are linear scales
// of epoch milliseconds with formatted ticks, so no date adapter is needed. Each chart is created
// once and its data replaced on refresh; the data points are exactly those of the /v1 JSON.

const { Chart } = window;

export const COLORS = {
  accuracy: '#3b5bdb',
  precision: '#0c8599',
  recall: '#e8590c',
  f1: '#7048e8',
  predictions: '#a5b4fc',
  labelled: '#3b5bdb',
  tokenJensenShannon: '#e8590c',
  predictionPsi: '#7048e8',
  unseenBucketShare: '#0c8599',
  threshold: '#c92a2a',
  promotion: '#2b8a3e',
};

const LABEL_COLORS = ['#3b5bdb', '#e8590c', '#0c8599', '#7048e8', '#2b8a3e', '#c2255c', '#f59f00', '#495057'];
export const labelColor = (i) => LABEL_COLORS[i % LABEL_COLORS.length];

Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
Chart.defaults.font.size = 12;
Chart.defaults.color = '#495057';
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.animation = false;
Chart.defaults.plugins.legend.labels.boxWidth = 12;
Chart.defaults.plugins.legend.labels.boxHeight = 12;

function tickTime(value, span) {
  const d = new Date(value);
  if (span > 2 * 86_400_000) return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' });
  return d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((minutes) => minutes * 60_000);

/** A linear x axis of epoch milliseconds over [min, max], ticks on round times (in UTC offsets of whole minutes). */
export function timeAxis(min, max) {
  const stepSize = STEPS.find((s) => (max - min) / s <= 7) ?? STEPS[STEPS.length - 1];
  const offset = new Date(min).getTimezoneOffset() * 60_000;
  return {
    type: 'linear',
    min,
    max,
    grid: { color: '#f1f3f5' },
    afterBuildTicks: (axis) => {
      const ticks = [];
      for (let t = Math.ceil((min - offset) / stepSize) * stepSize + offset; t <= max; t += stepSize) ticks.push({ value: t });
      axis.ticks = ticks;
    },
    ticks: { callback: (v) => tickTime(v, max - min), maxRotation: 0, autoSkip: false },
  };
}

/** Vertical dashed lines with a label at the top, at the times in options.plugins.markers.marks. */
const markers = {
  id: 'markers',
  afterDatasetsDraw(chart, _args, options) {
    const x = chart.scales.x;
    const { top, bottom } = chart.chartArea;
    const { ctx } = chart;
    for (const mark of options.marks ?? []) {
      if (mark.x < x.min || mark.x > x.max) continue;
      const px = x.getPixelForValue(mark.x);
      ctx.save();
      ctx.strokeStyle = mark.color ?? COLORS.promotion;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = mark.color ?? COLORS.promotion;
      ctx.font = `600 11px ${Chart.defaults.font.family}`;
      ctx.textAlign = px > chart.chartArea.right - 40 ? 'right' : 'left';
      ctx.fillText(mark.label, px + (ctx.textAlign === 'right' ? -4 : 4), top + 11);
      ctx.restore();
    }
  },
};

const charts = new Map();

/** Creates the chart on canvas#id, or replaces its data and options. */
export function draw(id, config) {
  const existing = charts.get(id);
  if (existing) {
    existing.data = config.data;
    existing.options = config.options;
    existing.update('none');
    return existing;
  }
  const chart = new Chart(document.getElementById(id), { ...config, plugins: [markers] });
  charts.set(id, chart);
  return chart;
}

const percentAxis = (min) => ({
  min,
  max: 1,
  grid: { color: '#f1f3f5' },
  ticks: { callback: (v) => `${Math.round(v * 100)}%` },
});

const line = (label, color, data, extra = {}) => ({
  label,
  data,
  borderColor: color,
  backgroundColor: color,
  borderWidth: 2,
  pointRadius: 2.5,
  pointHoverRadius: 4,
  spanGaps: true,
  tension: 0.15,
  ...extra,
});

const tooltipTime = () => ({
  callbacks: { title: (items) => (items.length ? new Date(items[0].parsed.x).toLocaleString('en-GB') : '') },
});

/** Live scores per window (x: the window's middle), promotions as markers, the monitor's floor dashed. */
export function liveChart(report, promotions, policy, range) {
  const half = (report.windowSeconds * 1000) / 2;
  const windows = report.windows;
  const point = (w, key) => ({ x: Date.parse(w.start) + half, y: w[key] });
  const scored = windows.flatMap((w) => ['accuracy', 'precision', 'recall', 'f1'].map((k) => w[k])).filter((v) => v !== null);
  const min = Math.max(0, Math.floor((Math.min(1, ...scored, policy ? policy.minAccuracy : 1) - 0.05) * 20) / 20);
  const datasets = ['accuracy', 'precision', 'recall', 'f1'].map((key) =>
    line(
      key === 'f1' ? 'F1' : key,
      COLORS[key],
      windows.map((w) => point(w, key)),
      { metric: key },
    ),
  );
  if (policy)
    datasets.push(
      line(
        `monitor floor (${Math.round(policy.minAccuracy * 100)}%)`,
        COLORS.threshold,
        [
          { x: range.from, y: policy.minAccuracy },
          { x: range.to, y: policy.minAccuracy },
        ],
        { borderDash: [6, 4], borderWidth: 1, pointRadius: 0, metric: 'threshold' },
      ),
    );
  return draw('chart-live', {
    type: 'line',
    data: { datasets },
    options: {
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: { x: timeAxis(range.from, range.to), y: percentAxis(min) },
      plugins: {
        markers: {
          marks: promotions.map((p) => ({
            x: Date.parse(p.createdAt),
            label: p.kind === 'promote' ? `v${p.toVersion}` : `v${p.toVersion} (${p.kind})`,
          })),
        },
        tooltip: tooltipTime(),
      },
    },
  });
}

export function trafficChart(report, range) {
  const half = (report.windowSeconds * 1000) / 2;
  const bars = (label, color, value, metric) => ({
    label,
    data: report.windows.map((w) => ({ x: Date.parse(w.start) + half, y: value(w) })),
    backgroundColor: color,
    barPercentage: 0.92,
    categoryPercentage: 1,
    metric,
  });
  return draw('chart-traffic', {
    type: 'bar',
    data: {
      datasets: [
        bars('with feedback', COLORS.labelled, (w) => w.labelled, 'labelled'),
        bars('no feedback yet', COLORS.predictions, (w) => w.predictions - w.labelled, 'unlabelled'),
      ],
    },
    options: {
      scales: {
        x: { ...timeAxis(range.from, range.to), stacked: true, offset: false },
        y: { stacked: true, beginAtZero: true, grid: { color: '#f1f3f5' }, ticks: { precision: 0 } },
      },
      plugins: { tooltip: tooltipTime() },
    },
  });
}

export function labelsChart(distribution) {
  const labels = Object.keys(distribution);
  return draw('chart-labels', {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: 'predictions',
          data: labels.map((l) => distribution[l]),
          backgroundColor: labels.map((_, i) => labelColor(i)),
          borderRadius: 3,
        },
      ],
    },
    options: {
      indexAxis: 'y',
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, grid: { color: '#f1f3f5' }, ticks: { precision: 0 } }, y: { grid: { display: false } } },
    },
  });
}

export function offlineChart(detail) {
  const versions = detail.versions;
  const labels = versions.map((v) => `v${v.version}${v.status === 'production' ? ' ★' : ''}`);
  const values = versions
    .flatMap((v) => ['accuracy', 'precision', 'recall', 'f1'].map((k) => v.evaluation?.metrics?.[k] ?? null))
    .filter((v) => v !== null);
  const min = Math.max(0, Math.floor((Math.min(1, ...values) - 0.05) * 20) / 20);
  return draw('chart-offline', {
    type: 'bar',
    data: {
      labels,
      datasets: ['accuracy', 'precision', 'recall', 'f1'].map((key) => ({
        label: key === 'f1' ? 'F1' : key,
        data: versions.map((v) => v.evaluation?.metrics?.[key] ?? null),
        backgroundColor: COLORS[key],
        borderRadius: 2,
        metric: key,
      })),
    },
    options: {
      scales: { y: percentAxis(min), x: { grid: { display: false } } },
      plugins: {
        tooltip: {
          callbacks: {
            afterTitle: (items) => {
              const v = versions[items[0].dataIndex];
              return `${v.status}${v.evaluation ? `, ${v.evaluation.outcome ?? v.evaluation.decision} on ${v.evaluation.rows} rows` : ''}`;
            },
          },
        },
      },
    },
  });
}

/** Drift readings of the monitor's evaluations (oldest first), with the policy's limits dashed. */
export function driftChart(events, policy, range) {
  const withDrift = [...events].reverse();
  const point = (e, key) => ({ x: Date.parse(e.createdAt), y: e.live?.drift ? e.live.drift[key] : null });
  const datasets = [
    line(
      'token JS divergence',
      COLORS.tokenJensenShannon,
      withDrift.map((e) => point(e, 'tokenJensenShannon')),
      { metric: 'tokenJensenShannon' },
    ),
    line(
      'predicted-label PSI',
      COLORS.predictionPsi,
      withDrift.map((e) => point(e, 'predictionPsi')),
      { metric: 'predictionPsi' },
    ),
    line(
      'unseen-bucket share',
      COLORS.unseenBucketShare,
      withDrift.map((e) => point(e, 'unseenBucketShare')),
      { metric: 'unseenBucketShare' },
    ),
  ];
  if (policy) {
    const limit = (label, color, y) =>
      line(
        label,
        color,
        [
          { x: range.from, y },
          { x: range.to, y },
        ],
        { borderDash: [6, 4], borderWidth: 1, pointRadius: 0, metric: 'threshold' },
      );
    datasets.push(limit(`JS limit (${policy.maxDrift})`, COLORS.tokenJensenShannon, policy.maxDrift));
    datasets.push(limit(`PSI limit (${policy.maxPredictionDrift})`, COLORS.predictionPsi, policy.maxPredictionDrift));
  }
  return draw('chart-drift', {
    type: 'line',
    data: { datasets },
    options: {
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: { x: timeAxis(range.from, range.to), y: { beginAtZero: true, grid: { color: '#f1f3f5' } } },
      plugins: { tooltip: tooltipTime() },
    },
  });
}

/** Every chart's datasets, for tests and the curious: window.nightshiftDashboard.chartData(). */
export function chartData() {
  return Object.fromEntries(
    [...charts].map(([id, chart]) => [
      id,
      {
        labels: chart.data.labels ?? null,
        datasets: chart.data.datasets.map((d) => ({ label: d.label, metric: d.metric ?? null, data: d.data })),
        markers: chart.options.plugins?.markers?.marks ?? [],
      },
    ]),
  );
}

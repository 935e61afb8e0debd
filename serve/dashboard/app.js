// The Nightshift dashboard: every model with its live status, and one model in detail. It reads
// the model server's /v1 JSON (the documents the CLI prints with --json) and refreshes every 10 s.
import { ago, count, h, num, outcomeBadge, pct, statusBadge, table, when } from './format.js';
import { chartData, driftChart, labelsChart, liveChart, offlineChart, trafficChart } from './charts.js';

const REFRESH_MS = 10_000;
const RANGES = {
  '1h': { window: 60, windows: 60 },
  '6h': { window: 300, windows: 72 },
  '24h': { window: 3600, windows: 24 },
  '7d': { window: 21600, windows: 28 },
};

const state = { model: null, range: '1h', loaded: {}, errors: [] };
const $ = (id) => document.getElementById(id);

class HttpProblem extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function getJson(url) {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new HttpProblem(res.status, body.message ?? body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  state.model = params.get('model');
  const range = params.get('range');
  state.range = range && RANGES[range] ? range : '1h';
}

function writeHash() {
  const params = new URLSearchParams();
  if (state.model) params.set('model', state.model);
  if (state.range !== '1h') params.set('range', state.range);
  history.replaceState(null, '', `#${params}`);
}

const replace = (id, ...nodes) => $(id).replaceChildren(...nodes);
const note = (text, kind = 'muted') => h('p', { class: kind }, text);

function renderHeader(overview) {
  const links = [];
  if (overview.temporal.available && overview.temporal.uiUrl)
    links.push(h('a', { href: overview.temporal.uiUrl, target: '_blank', rel: 'noopener' }, 'Temporal UI'));
  else if (!overview.temporal.available) links.push(h('span', { class: 'muted', title: overview.temporal.reason }, 'Temporal unavailable'));
  links.push(h('a', { href: '/metrics' }, 'Prometheus'));
  links.push(h('span', { class: 'muted' }, `server ${overview.server.version}`));
  replace('links', ...links);
}

function renderModels(overview) {
  if (overview.models.length === 0) {
    replace(
      'models',
      note('No models yet: run `nightshift up` (it seeds the demo model "spam"), or import data with `nightshift data import`.'),
    );
    return;
  }
  replace(
    'models',
    table(
      [
        { header: 'Model', value: (m) => h('a', { href: `#model=${encodeURIComponent(m.name)}` }, m.name) },
        { header: 'Status', value: (m) => statusBadge(m.status) },
        { header: 'Production', value: (m) => (m.production === null ? '–' : `v${m.production}`), align: 'right' },
        { header: 'Served here', value: (m) => (m.served === null ? '–' : `v${m.served}`), align: 'right' },
        { header: `Live accuracy (last ${overview.models[0].live.n})`, value: (m) => pct(m.live.accuracy), align: 'right' },
        { header: 'Live F1', value: (m) => num(m.live.f1), align: 'right' },
        { header: 'With feedback', value: (m) => count(m.live.labelled), align: 'right' },
        {
          header: 'Monitor',
          value: (m) => (m.monitor ? h('span', { title: m.monitor.reason }, `${actionText(m.monitor.action)}, ${ago(m.monitor.at)}`) : '–'),
        },
      ],
      overview.models,
      { rowAttrs: (m) => ({ class: m.name === state.model ? 'selected' : null, dataset: { model: m.name } }) },
    ),
  );
}

const ACTIONS = {
  none: 'no action',
  'retrain-started': 'started a run',
  cooldown: 'in cooldown',
  'run-in-progress': 'a run was in progress',
  'retrain-disabled': 'notified only',
  'no-production': 'no production version',
};
const actionText = (action) => ACTIONS[action] ?? action;

/**
 * Whether the monitor judged anything on an evaluation: as views/overview.ts monitorJudged, from
 * the checks it names in live.notJudged (a drift reading with too few served texts is not judged).
 */
function judged(live) {
  if (Array.isArray(live?.notJudged)) {
    const skipped = live.notJudged.filter((s) => typeof s === 'string');
    if (skipped.includes('no production version')) return false;
    return !skipped.some((s) => s.startsWith('accuracy:')) || !skipped.some((s) => s.startsWith('drift:'));
  }
  return (live?.accuracy ?? null) !== null || Boolean(live?.drift);
}

/** The monitor's verdict on one evaluation: its trigger, healthy, or not judged for lack of data. */
const verdict = (e) => e.trigger ?? (judged(e.live) ? 'healthy' : 'not-judged');

function tile(label, value, sub) {
  return h(
    'div',
    { class: 'tile' },
    h('div', { class: 'tile-label' }, label),
    h('div', { class: 'tile-value' }, value),
    sub ? h('div', { class: 'tile-sub' }, sub) : null,
  );
}

function renderTiles(entry, report) {
  const c = report.current;
  replace(
    'tiles',
    tile('Status', statusBadge(entry.status), entry.monitor ? entry.monitor.reason : 'the monitor has not evaluated it yet'),
    tile('Production', c.version === null ? '–' : `v${c.version}`, entry.served ? `served here: v${entry.served}` : 'not served here'),
    tile('Predictions', count(c.predictions), `${count(c.labelled)} with feedback`),
    tile(`Accuracy, last ${report.lastN.n}`, pct(report.lastN.accuracy), `${count(report.lastN.labelled)} labelled`),
    tile(
      `F1, last ${report.lastN.n}`,
      num(report.lastN.f1),
      `precision ${num(report.lastN.precision)}, recall ${num(report.lastN.recall)}`,
    ),
    tile(
      'Latency p95',
      c.latencyMs.p95 === null ? '–' : `${c.latencyMs.p95.toFixed(2)} ms`,
      c.latencyMs.p50 === null ? null : `p50 ${c.latencyMs.p50.toFixed(2)} ms`,
    ),
  );
}

function renderConfusion(cm) {
  if (!cm || cm.labels.length === 0) return replace('confusion');
  replace(
    'confusion',
    h('p', { class: 'caption' }, 'Confusion matrix of the production version, from feedback (rows: true label, columns: predicted)'),
    h(
      'table',
      { class: 'confusion' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, ''),
          cm.labels.map((l) => h('th', { class: 'num' }, l)),
        ),
      ),
      h(
        'tbody',
        {},
        cm.matrix.map((row, i) =>
          h(
            'tr',
            {},
            h('th', {}, cm.labels[i]),
            row.map((n, j) => h('td', { class: `num${i === j ? ' diag' : ''}` }, count(n))),
          ),
        ),
      ),
    ),
  );
}

function renderRuns(runs) {
  if (runs.error) return replace('runs', note(`Runs are unavailable: ${runs.error}`, 'warning'));
  if (runs.runs.length === 0) return replace('runs', note('No retraining runs yet.'));
  replace(
    'runs',
    table(
      [
        {
          header: 'Run',
          value: (r) =>
            r.uiLink
              ? h('a', { href: r.uiLink, target: '_blank', rel: 'noopener', title: 'open in the Temporal UI' }, r.workflowId)
              : r.workflowId,
        },
        { header: 'Trigger', value: (r) => r.trigger },
        { header: 'Outcome', value: (r) => outcomeBadge(r.outcome, r.status) },
        { header: 'Champion', value: (r) => (r.championVersion === null ? '–' : `v${r.championVersion}`), align: 'right' },
        { header: 'Candidate', value: (r) => (r.candidateVersion === null ? '–' : `v${r.candidateVersion}`), align: 'right' },
        { header: 'Started', value: (r) => when(r.startTime) },
      ],
      runs.runs,
      { rowAttrs: (r) => ({ dataset: { workflowId: r.workflowId } }) },
    ),
  );
}

function copyButton(text) {
  return h(
    'button',
    {
      type: 'button',
      class: 'copy',
      onclick: (event) => {
        void navigator.clipboard?.writeText(text).then(() => {
          event.target.textContent = 'copied';
          setTimeout(() => (event.target.textContent = 'copy'), 1500);
        });
      },
    },
    'copy',
  );
}

function renderApprovals(approvals) {
  if (approvals.error) return replace('approvals', note(`Runs are unavailable: ${approvals.error}`, 'warning'));
  if (approvals.waiting.length === 0) return replace('approvals', note('No run is waiting for approval.'));
  replace(
    'approvals',
    ...approvals.waiting.map((w) =>
      h(
        'div',
        { class: 'approval', dataset: { workflowId: w.workflowId } },
        h(
          'p',
          {},
          h('strong', {}, `candidate v${w.candidateVersion}`),
          ` of ${w.model} in `,
          w.uiLink ? h('a', { href: w.uiLink, target: '_blank', rel: 'noopener' }, w.workflowId) : w.workflowId,
          `, started ${ago(w.startTime)}`,
        ),
        h('div', { class: 'command' }, h('code', {}, w.approveCommand), copyButton(w.approveCommand)),
        h('div', { class: 'command' }, h('code', {}, w.rejectCommand), copyButton(w.rejectCommand)),
      ),
    ),
  );
}

function renderEvents(events, policy) {
  if (policy)
    $('policy-hint').textContent =
      `${policy.source}: every ${policy.policy.every}, window ${policy.policy.window}, cooldown ${policy.policy.cooldown}`;
  if (events.events.length === 0)
    return replace(
      'events',
      note(
        'No monitor evaluations yet: `nightshift monitor policy --model M ... --reason TEXT` schedules them; `nightshift monitor run --model M` runs one now.',
      ),
    );
  replace(
    'events',
    table(
      [
        { header: 'Time', value: (e) => when(e.createdAt) },
        { header: 'Version', value: (e) => (e.version === null ? '–' : `v${e.version}`), align: 'right' },
        { header: 'Verdict', value: (e) => statusBadge(verdict(e)) },
        { header: 'Action', value: (e) => actionText(e.action) },
        { header: 'Live accuracy', value: (e) => pct(e.live?.accuracy), align: 'right' },
        { header: 'Labelled', value: (e) => count(e.live?.labelled), align: 'right' },
        { header: 'Run', value: (e) => e.retrainWorkflowId },
        { header: 'Reason', value: (e) => h('span', { class: 'reason' }, e.reason) },
      ],
      events.events.slice(0, 12),
    ),
  );
}

async function settle(promise) {
  try {
    return await promise;
  } catch (err) {
    return { error: err.message };
  }
}

async function loadModel(overview) {
  const name = state.model;
  const entry = overview.models.find((m) => m.name === name);
  const section = $('model');
  if (!entry) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  $('model-title').textContent = name;
  $('range').value = state.range;
  const { window: windowSeconds, windows } = RANGES[state.range];
  const q = encodeURIComponent(name);
  const [report, detail, events, policy, runs, approvals] = await Promise.all([
    getJson(`/v1/models/${q}/monitor?window=${windowSeconds}&windows=${windows}`),
    getJson(`/v1/registry/models/${q}`),
    getJson(`/v1/models/${q}/events?limit=100`),
    getJson(`/v1/models/${q}/monitor-policy`).catch(() => null),
    settle(getJson(`/v1/runs?model=${q}&limit=15`)),
    settle(getJson(`/v1/runs/awaiting-approval?model=${q}`)),
  ]);
  state.loaded = { overview, report, detail, events, policy, runs, approvals };
  // Windows are aligned to multiples of their width: the axis ends where the current one does.
  const width = windowSeconds * 1000;
  const to = Math.ceil(Date.parse(report.generatedAt) / width) * width;
  const range = { from: to - width * windows, to };
  const oldestEvent = events.events.length ? Date.parse(events.events[events.events.length - 1].createdAt) : range.from;
  renderTiles(entry, report);
  liveChart(report, detail.promotions, policy?.policy, range);
  trafficChart(report, range);
  labelsChart(report.current.labelDistribution);
  $('labels-hint').textContent =
    report.current.version === null ? 'no production version' : `all predictions of v${report.current.version}`;
  renderConfusion(report.current.confusionMatrix);
  offlineChart(detail);
  driftChart(events.events, policy?.policy, { from: Math.min(range.from, oldestEvent), to });
  renderApprovals(approvals);
  renderRuns(runs);
  renderEvents(events, policy);
}

let timer = null;
async function refresh() {
  clearTimeout(timer);
  try {
    const overview = await getJson('/v1/overview');
    if (!state.model && overview.models.length) {
      state.model = overview.models.find((m) => m.production !== null)?.name ?? overview.models[0].name;
      writeHash();
    }
    renderHeader(overview);
    renderModels(overview);
    await loadModel(overview);
    $('updated').textContent = `updated ${new Date().toLocaleTimeString('en-GB')}; every ${REFRESH_MS / 1000} s`;
    $('updated').classList.remove('warning');
    document.body.dataset.state = 'ready';
  } catch (err) {
    $('updated').textContent = `cannot load: ${err.message}`;
    $('updated').classList.add('warning');
    document.body.dataset.state = document.body.dataset.state === 'ready' ? 'ready' : 'error';
  } finally {
    timer = setTimeout(refresh, REFRESH_MS);
  }
}

$('range').addEventListener('change', () => {
  state.range = $('range').value;
  writeHash();
  void refresh();
});
window.addEventListener('hashchange', () => {
  readHash();
  void refresh();
});

window.nightshiftDashboard = { state, chartData, refresh };
readHash();
void refresh();

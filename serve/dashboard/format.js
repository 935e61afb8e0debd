// Small DOM and formatting helpers. Text always goes in through textContent, never as HTML.

/** h('a', {href: '/x', class: 'y'}, 'text', childNode) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function table(columns, rows, options = {}) {
  return h(
    'table',
    { class: options.class ?? 'data' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', { class: c.align === 'right' ? 'num' : null }, c.header)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          options.rowAttrs ? options.rowAttrs(r) : {},
          columns.map((c) => h('td', { class: c.align === 'right' ? 'num' : null }, c.value(r) ?? '–')),
        ),
      ),
    ),
  );
}

export const pct = (v, digits = 1) => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(digits)}%`);
export const num = (v, digits = 3) => (v === null || v === undefined ? '–' : Number(v).toFixed(digits));
export const count = (v) => (v === null || v === undefined ? '–' : Number(v).toLocaleString('en-US'));

export function ago(iso) {
  if (!iso) return '–';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function clock(ms, withDate = false) {
  const d = new Date(ms);
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return withDate ? `${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })} ${time}` : time;
}

export const when = (iso) => (iso ? h('time', { datetime: iso, title: iso }, `${clock(Date.parse(iso), true)} (${ago(iso)})`) : '–');

const STATUS_TEXT = {
  healthy: 'healthy',
  decay: 'decay',
  drift: 'drift',
  unwatched: 'not evaluated yet',
  'not-judged': 'not judged',
  'no-production': 'no production version',
  'not-served': 'not served here',
  'load-error': 'load failed',
};

export const statusBadge = (status) => h('span', { class: `badge status-${status}` }, STATUS_TEXT[status] ?? status);

const BAD = new Set(['FAILED', 'DATA_INVALID', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);

export function outcomeBadge(outcome, status) {
  const text = outcome ?? status;
  const kind = text === 'PROMOTED' ? 'good' : text === 'RUNNING' ? 'running' : BAD.has(text) ? 'bad' : 'neutral';
  return h('span', { class: `badge outcome-${kind}` }, text.replaceAll('_', ' ').toLowerCase());
}

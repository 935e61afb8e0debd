/** `nightshift monitor show|policy|events|run`. */
import type { ConfigSource } from '../catalog.ts';
import { printJson } from '../output.ts';
import { dispatch, modelFlag, numberFlag, parse, UsageError } from './args.ts';
import { type ConfigInput, configSource, withRegistry } from './connect.ts';
import { MONITOR_HELP } from '../help/monitor.ts';
import { monitorEvents, monitorPolicy, monitorRun } from './monitor-watch.ts';
import type { MonitorReport } from '../../registry/live-metrics.ts';

export function windowSeconds(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(raw.trim());
  if (!m || Number(m[1]) === 0)
    throw new UsageError(`--window must be like 1h, 15m, 1d or a number of seconds, got ${JSON.stringify(raw)}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
}

const f = (v: number | null): string => (v === null ? '-' : v.toFixed(4));
const ms = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)} ms`);

export function formatMonitorReport(r: MonitorReport): string {
  const c = r.current;
  const lines = [
    c.version === null
      ? `${r.model}: no production version`
      : `${r.model}: production v${c.version}: ${c.predictions} predictions logged, ${c.labelled} labelled by feedback`,
  ];
  if (c.version !== null) {
    lines.push(
      `  all labelled   accuracy ${f(c.accuracy)}  precision ${f(c.precision)}  recall ${f(c.recall)}  f1 ${f(c.f1)}`,
      `  last ${String(r.lastN.n).padEnd(9)} accuracy ${f(r.lastN.accuracy)}  precision ${f(r.lastN.precision)}  recall ${f(r.lastN.recall)}  f1 ${f(r.lastN.f1)}  (${r.lastN.labelled} labelled)`,
      `  latency        p50 ${ms(c.latencyMs.p50)}  p95 ${ms(c.latencyMs.p95)}  p99 ${ms(c.latencyMs.p99)}`,
      `  predicted      ${
        Object.entries(c.labelDistribution)
          .map(([l, n]) => `${l} ${n}`)
          .join(', ') || '-'
      }`,
    );
    for (const [label, s] of Object.entries(c.perClass)) {
      lines.push(`  class ${label.padEnd(9)} precision ${f(s.precision)}  recall ${f(s.recall)}  f1 ${f(s.f1)}  support ${s.support}`);
    }
  }
  lines.push(
    '',
    `  windows of ${r.windowSeconds} s (by prediction time):`,
    '    start                     version  predictions  labelled  accuracy  f1',
  );
  for (const w of r.windows) {
    lines.push(
      `    ${w.start.padEnd(25)} v${String(w.version).padEnd(7)} ${String(w.predictions).padStart(11)}  ${String(w.labelled).padStart(8)}  ${f(w.accuracy).padStart(8)}  ${f(w.f1)}`,
    );
  }
  if (r.windows.length === 0) lines.push('    (no predictions in these windows)');
  return lines.join('\n');
}

async function show(rest: string[], config: ConfigSource): Promise<number> {
  const { values } = parse(rest, {
    model: { type: 'string' },
    window: { type: 'string' },
    windows: { type: 'string' },
    last: { type: 'string' },
    json: { type: 'boolean' },
  });
  const model = modelFlag(values.model, 'monitor show');
  const options = {
    windowSeconds: windowSeconds(values.window),
    windows: numberFlag('windows', values.windows, { min: 1, max: 10_000, integer: true }),
    lastN: numberFlag('last', values.last, { min: 1, max: 1_000_000, integer: true }),
  };
  const { checkOptions, MonitorRangeError, monitorReport } = await import('../../registry/live-metrics.ts');
  try {
    checkOptions(options);
  } catch (err) {
    if (err instanceof MonitorRangeError) throw new UsageError(`--${err.message} (from --window ${values.window ?? '1h'})`);
    throw err;
  }
  return withRegistry(config, async (registry) => {
    const report = await monitorReport(registry.db, model, options);
    if (values.json) printJson(report);
    else process.stdout.write(formatMonitorReport(report) + '\n');
    return 0;
  });
}

export function monitor(argv: string[], configInput: ConfigInput): Promise<number> {
  const config = configSource(configInput);
  return dispatch('monitor', argv, MONITOR_HELP, {
    show: { summary: 'live metrics', run: (a) => show(a, config) },
    policy: { summary: "the monitor's policy", run: (a) => monitorPolicy(a, config) },
    events: { summary: "the monitor's evaluations", run: (a) => monitorEvents(a, config) },
    run: { summary: 'evaluate now', run: (a) => monitorRun(a, config) },
  });
}

import type { Config } from '../../stack/config.ts';
import { openRegistry } from '../../registry/open.ts';
import { printJson } from '../output.ts';
import { dispatch, parse, UsageError } from './args.ts';
import { MONITOR_WATCH_HELP, monitorEvents, monitorPolicy, monitorRun } from './monitor-watch.ts';
import { checkModelName } from '../../registry/models.ts';
import { checkOptions, MonitorRangeError, monitorReport, type MonitorReport } from '../../registry/live-metrics.ts';

export const MONITOR_HELP = `Usage: nightshift monitor show --model NAME [--window 1h] [--windows N] [--last N] [--json]
${MONITOR_WATCH_HELP}

show: live metrics of a served model, from the prediction log and the feedback on it (the same metric
functions as offline evaluation): accuracy, precision, recall and F1 (macro and per class), the
confusion matrix, prediction counts, the predicted-label distribution and latency; for the
production version, over the last N labelled predictions, and per version in time windows (by
prediction time). Reads the registry directly; the server's GET /v1/models/NAME/monitor gives the
same JSON.

  --model NAME   the model (required)
  --window W     window width: 1h (default), 15m, 1d, or seconds
  --windows N    how many windows back from now (default 24)
  --last N       the last N labelled predictions (default 500)
  --json         one JSON document: {model, generatedAt, windowSeconds, current: {version, predictions,
                 labelled, accuracy, precision, recall, f1, perClass, confusionMatrix,
                 labelDistribution, latencyMs}, lastN: {...}, windows: [{start, end, version, ...}]}`;

export function windowSeconds(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(raw.trim());
  if (!m || Number(m[1]) === 0)
    throw new UsageError(`--window must be like 1h, 15m, 1d or a number of seconds, got ${JSON.stringify(raw)}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
}

function count(flag: string, raw: string | undefined, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > max)
    throw new UsageError(`--${flag} must be a whole number in 1..${max}, got ${JSON.stringify(raw)}`);
  return n;
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

async function show(rest: string[], config: Config): Promise<number> {
  const { values } = parse(rest, {
    model: { type: 'string' },
    window: { type: 'string' },
    windows: { type: 'string' },
    last: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(MONITOR_HELP + '\n');
    return 0;
  }
  if (!values.model) throw new UsageError('monitor show needs --model NAME');
  try {
    checkModelName(values.model);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const options = {
    windowSeconds: windowSeconds(values.window),
    windows: count('windows', values.windows, 10_000),
    lastN: count('last', values.last, 1_000_000),
  };
  try {
    checkOptions(options);
  } catch (err) {
    if (err instanceof MonitorRangeError) throw new UsageError(`--${err.message} (from --window ${values.window ?? '1h'})`);
    throw err;
  }
  const registry = await openRegistry(config);
  try {
    const report = await monitorReport(registry.db, values.model, options);
    if (values.json) printJson(report);
    else process.stdout.write(formatMonitorReport(report) + '\n');
    return 0;
  } finally {
    await registry.close();
  }
}

/** Each subcommand's --help prints the whole monitor help. */
const withHelp =
  (run: (argv: string[], config: Config) => Promise<number>, config: Config) =>
  (argv: string[]): Promise<number> => {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(MONITOR_HELP + '\n');
      return Promise.resolve(0);
    }
    return run(argv, config);
  };

export function monitor(argv: string[], config: Config): Promise<number> {
  return dispatch('monitor', argv, MONITOR_HELP, {
    show: { summary: 'live metrics', run: withHelp(show, config) },
    policy: { summary: "the monitor's policy", run: withHelp(monitorPolicy, config) },
    events: { summary: "the monitor's evaluations", run: withHelp(monitorEvents, config) },
    run: { summary: 'evaluate now', run: withHelp(monitorRun, config) },
  });
}

/** Result printing: one JSON document on stdout with --json, human text otherwise; logs go to stderr. */
import type { RunResult } from '../workflows/definitions.ts';
import { describeWindow, formatMetric } from '../workflows/run-details.ts';

export const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

const fmt = formatMetric;

export function formatRunResult(r: RunResult, uiLink: string | null): string {
  const lines = [`${r.model}: ${r.outcome}  (${r.workflowId})`, `  ${r.reason}`];
  if (r.snapshot) lines.push(`  data: ${describeWindow(r.snapshot)}`);
  if (r.candidate || r.champion) {
    const champ = r.champion ? `champion v${r.champion.version}` : 'champion (none)';
    const cand = r.candidate ? `candidate v${r.candidate.version}` : 'candidate';
    lines.push('', `  ${'metric'.padEnd(10)} ${champ.padStart(18)} ${cand.padStart(18)}`);
    for (const key of ['accuracy', 'precision', 'recall', 'f1', 'logLoss', 'rocAuc'] as const) {
      lines.push(`  ${key.padEnd(10)} ${fmt(r.champion?.metrics[key]).padStart(18)} ${fmt(r.candidate?.metrics[key]).padStart(18)}`);
    }
  }
  if (r.decision) {
    lines.push('', '  checks:');
    for (const c of r.decision.checks) {
      const status = c.skipped ? 'skip' : c.pass ? 'pass' : 'FAIL';
      lines.push(
        `    [${status}] ${c.metric} ${c.kind}: value ${fmt(c.value)}${c.baseline !== null ? `, champion ${fmt(c.baseline)}` : ''}, threshold ${c.threshold}${c.note ? ` (${c.note})` : ''}`,
      );
    }
    if (r.decision.policySource) lines.push(`  policy: ${r.decision.policySource}`);
    if (r.decision.drift) lines.push(`  drift: ${r.decision.drift.reading}`);
  }
  if (r.training) {
    lines.push(
      '',
      `  training: ${r.training.mode === 'update' ? `update of v${r.training.warmStartFrom} on ${r.training.trainRows - r.training.replayRows} new + ${r.training.replayRows} replayed rows` : `full, ${r.training.trainRows} rows`}, ${r.training.epochs} epochs${r.training.stoppedEarly ? ' (early stop)' : ''}, ${r.training.trainSeconds.toFixed(2)}s, attempts ${r.training.attempts.map((a) => `#${a.attempt} from epoch ${a.resumedFromEpoch}`).join(', ')}`,
    );
  }
  if (uiLink) lines.push(`  Temporal UI: ${uiLink}`);
  return lines.join('\n');
}

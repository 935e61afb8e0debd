/** The Markdown a run shows as its current details in the Temporal UI. Pure; used by workflows. */
import type { EvaluationSummary, SnapshotSummary } from '../activities/pipeline/types.ts';
import type { RunResult, Stage } from './definitions.ts';

/** A metric as the CLI and the UI show it: four decimals, '-' when absent. */
export const formatMetric = (v: number | undefined | null): string => (v === undefined || v === null ? '-' : v.toFixed(4));
const fmt = formatMetric;

/** What data a run measured on, in words: "500 new rows (101 held out) ..." or, forced with too few, "20 new rows; evaluated on all ...". */
export function describeWindow(s: SnapshotSummary): string {
  const window = s.allRowsToDate
    ? `${s.newRows.toLocaleString('en-US')} new rows; evaluated on all ${s.windowRows.toLocaleString('en-US')} rows to date (${s.evalRows} held out), as forced`
    : `${s.newRows.toLocaleString('en-US')} new rows (${s.evalRows} held out)`;
  return `${window}; candidate trained on ${s.trainRows.toLocaleString('en-US')} rows`;
}

export interface RunDetailsInput extends Partial<RunResult> {
  model: string;
  /** Why the run was started, when something (the monitor) said so. */
  startedBecause?: string | null;
  stage: Stage;
  champion: EvaluationSummary | null;
  candidate: EvaluationSummary | null;
}

export function renderRunDetails(r: RunDetailsInput): string {
  const lines = [`### ${r.model}: ${r.outcome ?? `running (${r.stage})`}`];
  if (r.startedBecause) lines.push('', `Started by the monitor: ${r.startedBecause}`);
  if (r.reason) lines.push('', r.reason);
  if (r.champion || r.candidate) {
    const champ = r.champion ? `champion v${r.champion.version}` : 'champion (none)';
    const cand = r.candidate ? `candidate v${r.candidate.version}` : 'candidate';
    lines.push('', `| metric | ${champ} | ${cand} |`, '| --- | ---: | ---: |');
    for (const key of ['accuracy', 'precision', 'recall', 'f1', 'logLoss', 'rocAuc'] as const) {
      lines.push(`| ${key} | ${fmt(r.champion?.metrics[key])} | ${fmt(r.candidate?.metrics[key])} |`);
    }
  }
  if (r.decision) {
    lines.push(
      '',
      `**Decision: ${r.decision.decision}**`,
      '',
      '| check | metric | value | champion | threshold | result |',
      '| --- | --- | ---: | ---: | ---: | --- |',
    );
    for (const c of r.decision.checks) {
      const result = c.skipped ? 'skipped' : c.pass ? 'pass' : 'FAIL';
      lines.push(
        `| ${c.kind} | ${c.metric} | ${c.value === null ? '-' : fmt(c.value)} | ${c.baseline === null ? '-' : fmt(c.baseline)} | ${c.threshold} | ${result}${c.pass ? '' : c.note ? `: ${c.note}` : ''} |`,
      );
    }
    if (r.decision.policySource) lines.push('', `Policy: ${r.decision.policySource}.`);
    if (r.decision.drift) lines.push('', `Drift against the previous data: ${r.decision.drift.reading}.`);
  }
  if (r.approval)
    lines.push(
      '',
      `Approval: ${r.approval.approved ? 'approved' : 'not approved'} by ${r.approval.approver} (${r.approval.by}): ${r.approval.reason}`,
    );
  if (r.snapshot) lines.push('', `Data: ${describeWindow(r.snapshot)}.`);
  return lines.join('\n');
}

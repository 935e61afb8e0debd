/**
 * Retraining runs as JSON, from Temporal's visibility: the document `nightshift runs list --json`
 * prints, and the runs waiting for approval with the commands that answer them. The model server
 * returns both, each run with its Temporal Web UI link.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { listRuns } from '../runs/client.ts';
import { runUiLink } from '../stack/stack.ts';
import { progressQuery, ScheduledStartTimeKey } from '../workflows/definitions.ts';

/** Where a run's Temporal Web UI page is; without a uiUrl there are no links. */
export interface UiLinks {
  uiUrl: string | null;
  namespace: string;
}

const attr = (sa: Record<string, unknown> | undefined, key: string): string | number | null => {
  const v = sa?.[key] as Array<string | number> | undefined;
  return v?.[0] ?? null;
};

/** The outcome a run list shows: the run's own Outcome, else what its Temporal status says. */
function outcomeOf(w: WorkflowExecutionInfo): string | null {
  const recorded = attr(w.searchAttributes, 'Outcome');
  if (recorded !== null) return String(recorded);
  const status = w.status.name;
  if (status === 'RUNNING' || status === 'COMPLETED') return null;
  return status;
}

/**
 * The run's trigger, from its memo; a scheduled run whose scheduled time is well before its start
 * was a backfill.
 */
function triggerOf(w: WorkflowExecutionInfo): string | null {
  const trigger = (w.memo?.trigger as string | undefined) ?? null;
  const scheduledAt = w.typedSearchAttributes.get(ScheduledStartTimeKey);
  if (trigger === 'schedule' && scheduledAt && w.startTime.getTime() - scheduledAt.getTime() > 60_000) return 'backfill';
  return trigger;
}

export interface RunRow {
  workflowId: string;
  runId: string;
  model: string | number | null;
  trigger: string | null;
  status: string;
  outcome: string | null;
  championVersion: string | number | null;
  candidateVersion: string | number | null;
  startTime: string;
  closeTime: string | null;
  /** Only with links (the model server's JSON). */
  uiLink?: string | null;
}

export function runRow(w: WorkflowExecutionInfo, links?: UiLinks): RunRow {
  return {
    workflowId: w.workflowId,
    runId: w.runId,
    model: attr(w.searchAttributes, 'ModelName'),
    trigger: triggerOf(w),
    status: w.status.name,
    outcome: outcomeOf(w),
    championVersion: attr(w.searchAttributes, 'ChampionVersion'),
    candidateVersion: attr(w.searchAttributes, 'CandidateVersion'),
    startTime: w.startTime.toISOString(),
    closeTime: w.closeTime?.toISOString() ?? null,
    ...(links ? { uiLink: runUiLink(links.uiUrl, links.namespace, w.workflowId, w.runId) } : {}),
  };
}

/** Newest first; every model's runs when `model` is null. */
export async function runsList(
  client: Client,
  model: string | null,
  options: { limit?: number; links?: UiLinks } = {},
): Promise<{ runs: RunRow[] }> {
  const found = await listRuns(client, model, { limit: options.limit ?? 20 });
  return { runs: found.map((w) => runRow(w, options.links)) };
}

export interface WaitingRun {
  workflowId: string;
  runId: string;
  model: string;
  candidateVersion: number;
  startTime: string;
  approveCommand: string;
  rejectCommand: string;
  uiLink: string | null;
}

const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The model's running runs that wait for an approval, each with the commands that answer it. */
export async function runsAwaitingApproval(client: Client, model: string | null, links: UiLinks): Promise<{ waiting: WaitingRun[] }> {
  const running = await listRuns(client, model, { running: true, limit: 50 });
  const waiting: WaitingRun[] = [];
  for (const w of running) {
    const progress = await client.workflow
      .getHandle(w.workflowId, w.runId)
      .query(progressQuery)
      .catch(() => null);
    if (progress?.stage !== 'awaiting-approval' || progress.candidateVersion === null) continue;
    const id = shellQuote(w.workflowId);
    waiting.push({
      workflowId: w.workflowId,
      runId: w.runId,
      model: progress.model,
      candidateVersion: progress.candidateVersion,
      startTime: w.startTime.toISOString(),
      approveCommand: `nightshift approve ${id} --reason 'REASON'`,
      rejectCommand: `nightshift reject ${id} --reason 'REASON'`,
      uiLink: runUiLink(links.uiUrl, links.namespace, w.workflowId, w.runId),
    });
  }
  return { waiting };
}

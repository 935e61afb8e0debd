import type { Config } from '../../stack/config.ts';
import { resolveTemporal, runUiLink } from '../../stack/stack.ts';
import { assertModelExists } from '../../registry/open.ts';
import { connectClient, RunAlreadyRunningError, runProgress, startRetrain } from '../../runs/client.ts';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { formatRunResult, log, printJson } from '../output.ts';
import { describeRootCause, rootCause } from '../failures.ts';
import {
  choiceFlag,
  durationFlag,
  HYPERPARAMETER_FLAGS,
  HYPERPARAMETER_HELP,
  hyperparametersFrom,
  jsonFileFlag,
  modelFlag,
  parse,
  UsageError,
} from './args.ts';
import { DEFAULT_APPROVAL, type RetrainInput, type RunResult } from '../../workflows/definitions.ts';
import { DURATION_BOUNDS } from '../../workflows/validate-input.ts';
import { checkPolicy, type ComparisonPolicy } from '../../ml/compare.ts';
import { resolveReplayOptions } from '../../ml/replay-sample.ts';
import { MIN_TRAINING_EXAMPLES } from '../../ml/labelled-data.ts';
import type { ReplaySettings } from '../../activities/pipeline/types.ts';
import type { retrainModel } from '../../workflows/index.ts';

export const RETRAIN_HELP = `Usage: nightshift retrain --model NAME [--wait] [--force] [--require-approval] [--attach] [--json] [hyperparameters]

Starts a retraining run (a manual start) on the running stack and prints its workflow id and
Temporal UI link; with --wait, shows progress (stage, epoch, loss) and prints the decision. A model
runs one retraining at a time: a second start is refused with the running run's id.

  --model NAME             the model to retrain (required)
  --wait                   wait for the run, showing progress, and print its decision
  --force                  train even when no new data arrived; when the new data has fewer
                           held-out rows than the policy needs (30 by default), evaluate on
                           all held-out rows to date
  --require-approval       stop after comparing; promote only after \`nightshift approve\`
  --approval-timeout D     how long to wait for approval, 1s to 365 days (default 24 hours)
  --approval-default A     reject (default) or approve when nobody answers in time
  --mode M                 full (train from zero on all history) or update (continue the production
                           version on the new rows plus a replay sample of older ones); default:
                           the model's setting (\`nightshift models mode\`), else full
  --replay-share X         update mode: share of the training set that replayed older rows make
                           up, in [0, 1) (default 0.5)
  --replay-size N          update mode: replay exactly N older rows instead
  --history-rows N         full mode: train on the N most recent training rows only (default:
                           all history; bounds the time of a retrain over a very long history)
  --policy FILE.json       the promotion policy for this run only (default: the model's stored
                           policy, see \`nightshift models policy\`, else the built-in default)
  --step-timeout D         time limit of each step but training (fetch, evaluate, compare,
                           promote), 1s to 1 day (default 1 minute; raise it for a first run
                           over a history of millions of rows)
  --attach                 when a run is already in progress, follow it instead of failing
  --json                   one JSON document on stdout: {workflowId, runId, uiLink} or, with --wait, the decision

${HYPERPARAMETER_HELP}`;

export async function retrain(argv: string[], config: Config): Promise<number> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    wait: { type: 'boolean' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
    'require-approval': { type: 'boolean' },
    'approval-timeout': { type: 'string' },
    'approval-default': { type: 'string' },
    attach: { type: 'boolean' },
    policy: { type: 'string' },
    mode: { type: 'string' },
    'replay-share': { type: 'string' },
    'replay-size': { type: 'string' },
    'step-timeout': { type: 'string' },
    'history-rows': { type: 'string' },
    ...HYPERPARAMETER_FLAGS,
  });
  if (values.help) {
    process.stdout.write(RETRAIN_HELP + '\n');
    return 0;
  }
  const model = modelFlag(values.model, 'retrain');
  const input: RetrainInput = {
    model,
    trigger: 'manual',
    force: values.force ?? false,
    hyperparameters: hyperparametersFrom(values),
    requireApproval: values['require-approval'] ?? false,
    approval: {
      timeout: durationFlag('approval-timeout', values['approval-timeout'], DURATION_BOUNDS.approvalTimeout) ?? DEFAULT_APPROVAL.timeout,
      onTimeout: choiceFlag('approval-default', values['approval-default'], ['approve', 'reject'] as const) ?? DEFAULT_APPROVAL.onTimeout,
    },
    ...(values.policy ? { policy: policyFile(values.policy) } : {}),
    ...(values['step-timeout'] ? { stepTimeout: durationFlag('step-timeout', values['step-timeout'], DURATION_BOUNDS.stepTimeout) } : {}),
    ...replayAndMode(values.mode, values['replay-share'], values['replay-size']),
    ...historyRowsFlag(values['history-rows'], values.mode),
  };
  const target = await resolveTemporal(config);
  await assertModelExists(config, model);
  const { client, close } = await connectClient(target);
  try {
    let handle: WorkflowHandle<typeof retrainModel>;
    let runId: string;
    try {
      const started = await startRetrain(client, target.taskQueue, input);
      handle = started;
      runId = started.firstExecutionRunId;
    } catch (err) {
      if (!(err instanceof RunAlreadyRunningError) || !values.attach) throw err;
      log(`attaching to ${err.workflowId}, already running`);
      handle = client.workflow.getHandle<typeof retrainModel>(err.workflowId, err.runId);
      runId = err.runId;
    }
    const link = runUiLink(target.uiUrl, target.namespace, handle.workflowId, runId);
    if (!values.wait) {
      if (values.json) printJson({ workflowId: handle.workflowId, runId, uiLink: link });
      else process.stdout.write(`started ${handle.workflowId}\n${link ? `  ${link}\n` : ''}`);
      return 0;
    }
    log(`run ${handle.workflowId}; waiting for the decision`);
    let result: RunResult;
    try {
      result = await resultWithProgress(client, handle, runId);
    } catch (err) {
      const failure = rootCause(err);
      if (values.json) printJson({ workflowId: handle.workflowId, runId, status: 'FAILED', failure, uiLink: link });
      else process.stderr.write(`nightshift: run ${handle.workflowId} failed: ${describeRootCause(failure)}\n${link ? `  ${link}\n` : ''}`);
      return 1;
    }
    if (values.json) printJson(result);
    else process.stdout.write(formatRunResult(result, link) + '\n');
    return 0;
  } finally {
    await close();
  }
}

/**
 * Waits for the run, printing each change of stage, epoch and loss to stderr. The run goes on
 * while the Temporal server restarts, so a lost connection is not the run's failure: it keeps
 * following (reconnecting every 2 s, for up to 10 minutes of outage); only the run's own failure,
 * or an error that is not about reaching the server, ends the wait.
 */
async function resultWithProgress(client: Client, handle: WorkflowHandle<typeof retrainModel>, runId: string): Promise<RunResult> {
  const OUTAGE_LIMIT_MS = 10 * 60_000;
  const unreachable = (err: unknown): boolean =>
    err instanceof Error &&
    err.name !== 'WorkflowFailedError' &&
    (err.name === 'ServiceError' ||
      /UNAVAILABLE|ECONNREFUSED|ECONNRESET|No connection established|deadline/i.test(
        `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}`,
      ));
  let outageSince: number | null = null;
  let last = '';
  for (;;) {
    const result = handle.result();
    let done = false;
    void result.finally(() => (done = true)).catch(() => undefined);
    while (!done) {
      try {
        const p = await runProgress(client, handle.workflowId, runId);
        if (outageSince !== null) log('  reconnected to the Temporal server');
        outageSince = null;
        const line =
          p.stage === 'training' && p.epoch !== null
            ? `  training: epoch ${p.epoch}${p.trainLoss !== null ? `, loss ${p.trainLoss.toFixed(4)}` : ''}${p.validationLoss !== null ? `, validation loss ${p.validationLoss.toFixed(4)}` : ''}`
            : p.stage === 'awaiting-approval'
              ? `  awaiting approval of candidate v${p.candidateVersion}: nightshift approve ${handle.workflowId} --reason TEXT`
              : `  ${p.stage}`;
        if (line !== last && p.stage !== 'done') log(line);
        last = line;
      } catch {
        // The run may finish between polls, or the server be away; the result says which.
      }
      await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
    }
    try {
      return await result;
    } catch (err) {
      if (!unreachable(err)) throw err;
      outageSince ??= Date.now();
      if (Date.now() - outageSince > OUTAGE_LIMIT_MS) throw err;
      log(`  lost the Temporal server (${(err as Error).message}); the run goes on there, reconnecting`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/** A policy file, checked as the judge checks policies. */
export function policyFile(file: string): ComparisonPolicy {
  const policy = jsonFileFlag('policy', file) as ComparisonPolicy;
  if (typeof policy !== 'object' || policy === null || !Array.isArray(policy.absolute) || !Array.isArray(policy.change)) {
    throw new UsageError(
      `--policy ${file} must hold an object with "absolute" and "change" lists (see \`nightshift models policy --help\`)`,
    );
  }
  try {
    checkPolicy(policy);
  } catch (err) {
    throw new UsageError(`--policy ${file}: ${(err as Error).message}`);
  }
  return policy;
}

/** --history-rows: a whole number of rows, at least the training minimum; full mode only. */
function historyRowsFlag(raw: string | undefined, mode: string | undefined): Pick<RetrainInput, 'historyRows'> {
  if (raw === undefined) return {};
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < MIN_TRAINING_EXAMPLES || n > 1e9)
    throw new UsageError(`--history-rows must be a whole number from ${MIN_TRAINING_EXAMPLES} to 1000000000, got ${JSON.stringify(raw)}`);
  if (mode === 'update')
    throw new UsageError('--history-rows applies to --mode full only (update mode trains on the new rows and a replay sample)');
  return { historyRows: n };
}

function replayAndMode(
  mode: string | undefined,
  share: string | undefined,
  size: string | undefined,
): Pick<RetrainInput, 'mode' | 'replay'> {
  const chosen = choiceFlag('mode', mode, ['full', 'update'] as const);
  const replay: ReplaySettings = {};
  if (share !== undefined) replay.share = Number(share);
  if (size !== undefined) replay.size = Number(size);
  if ((share !== undefined || size !== undefined) && chosen === 'full')
    throw new UsageError('--replay-share and --replay-size apply to --mode update only');
  try {
    resolveReplayOptions({ share: replay.share, size: replay.size ?? null });
  } catch (err) {
    const message = (err as Error).message.replace(/^replay share/, '--replay-share').replace(/^replay size/, '--replay-size');
    throw new UsageError(message);
  }
  return { ...(chosen ? { mode: chosen } : {}), ...(Object.keys(replay).length ? { replay } : {}) };
}

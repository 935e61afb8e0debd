/**
 * `nightshift retrain`: flags are parsed and checked first, with light modules only (a mistake is
 * reported at once); the Temporal client, the registry and the workflow definitions load after.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { configSource, type ConfigInput } from './connect.ts';
import type { runProgress as RunProgress } from '../../runs/client.ts';
import { formatRunResult, log, printJson } from '../output.ts';
import { choiceFlag, durationFlag, HYPERPARAMETER_FLAGS, hyperparametersFrom, jsonFileFlag, modelFlag, parse, UsageError } from './args.ts';
import type { RetrainInput, RunResult } from '../../workflows/definitions.ts';
import { DURATION_BOUNDS } from '../../workflows/validate-input.ts';
import { checkPolicy, type ComparisonPolicy } from '../../ml/compare.ts';
import { resolveReplayOptions } from '../../ml/replay-sample.ts';
import { MIN_TRAINING_EXAMPLES } from '../../ml/labelled-data.ts';
import type { ReplaySettings } from '../../activities/pipeline/types.ts';
import type { retrainModel } from '../../workflows/index.ts';

export async function retrain(argv: string[], loadConfigInput: ConfigInput): Promise<number> {
  const loadConfig = configSource(loadConfigInput);
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
  const model = modelFlag(values.model, 'retrain');
  const approvalTimeout = durationFlag('approval-timeout', values['approval-timeout'], DURATION_BOUNDS.approvalTimeout);
  const onTimeout = choiceFlag('approval-default', values['approval-default'], ['approve', 'reject'] as const);
  const checked: Omit<RetrainInput, 'approval'> = {
    model,
    trigger: 'manual',
    force: values.force ?? false,
    hyperparameters: hyperparametersFrom(values),
    requireApproval: values['require-approval'] ?? false,
    ...(values.policy ? { policy: policyFile(values.policy) } : {}),
    ...(values['step-timeout'] ? { stepTimeout: durationFlag('step-timeout', values['step-timeout'], DURATION_BOUNDS.stepTimeout) } : {}),
    ...replayAndMode(values.mode, values['replay-share'], values['replay-size']),
    ...historyRowsFlag(values['history-rows'], values.mode),
  };
  const [
    { resolveTemporal, runUiLink },
    { assertModelExists },
    { connectClient, RunAlreadyRunningError, runProgress, startRetrain },
    definitions,
    failures,
  ] = await Promise.all([
    import('../../stack/stack.ts'),
    import('../../registry/open.ts'),
    import('../../runs/client.ts'),
    import('../../workflows/definitions.ts'),
    import('../failures.ts'),
  ]);
  const { DEFAULT_APPROVAL } = definitions;
  const { describeRootCause, rootCause } = failures;
  const input: RetrainInput = {
    ...checked,
    approval: { timeout: approvalTimeout ?? DEFAULT_APPROVAL.timeout, onTimeout: onTimeout ?? DEFAULT_APPROVAL.onTimeout },
  };
  const config = await loadConfig();
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
      result = await resultWithProgress(client, handle, runId, runProgress);
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
async function resultWithProgress(
  client: Client,
  handle: WorkflowHandle<typeof retrainModel>,
  runId: string,
  runProgress: typeof RunProgress,
): Promise<RunResult> {
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

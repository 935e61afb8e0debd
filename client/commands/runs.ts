/** `nightshift runs list|show|cancel`: flags first, then the Temporal client (loaded when a subcommand runs). */
import os from 'node:os';
import type { ConfigSource } from '../catalog.ts';
import type { LiveProgress } from '../../runs/client.ts';
import type { RunResult } from '../../workflows/definitions.ts';
import type { RootCause } from '../failures.ts';
import { formatRunResult, printJson } from '../output.ts';
import { dispatch, numberFlag, parse, UsageError } from './args.ts';
import { RUNS_HELP } from '../help/runs.ts';
import { type ConfigInput, configSource, withTemporal } from './connect.ts';
import { renderTable } from '../table.ts';
import { paintOutcome } from '../style.ts';
import { formatAge } from '../ages.ts';

const UNFINISHED = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED']);

async function list(argv: string[], config: ConfigSource): Promise<number> {
  const { values } = parse(argv, { model: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } });
  const limit = numberFlag('limit', values.limit, { min: 1, max: 1000, integer: true }) ?? 20;
  return withTemporal(config, async (client) => {
    const { runsList } = await import('../../views/runs.ts');
    const { runs: rows } = await runsList(client, values.model ?? null, { limit });
    const now = Date.now();
    if (values.json) printJson({ runs: rows });
    else if (rows.length === 0) process.stdout.write('no runs\n');
    else {
      process.stdout.write(
        renderTable(rows, [
          { header: 'RUN', value: (r) => r.workflowId },
          { header: 'TRIGGER', value: (r) => r.trigger },
          { header: 'STATUS', value: (r) => r.status },
          { header: 'OUTCOME', value: (r) => (r.outcome ? paintOutcome(r.outcome) : null) },
          { header: 'CHAMPION', value: (r) => (r.championVersion === null ? null : `v${r.championVersion}`), align: 'right' },
          { header: 'CANDIDATE', value: (r) => (r.candidateVersion === null ? null : `v${r.candidateVersion}`), align: 'right' },
          { header: 'STARTED', value: (r) => formatAge(r.startTime, now) },
        ]) + '\n',
      );
    }
    return 0;
  });
}

function describeProgress(p: LiveProgress): string {
  const lines = [`  stage: ${p.stage}`];
  if (p.epoch !== null) {
    const losses = [
      p.trainLoss !== null ? `loss ${p.trainLoss.toFixed(4)}` : null,
      p.validationLoss !== null ? `validation loss ${p.validationLoss.toFixed(4)}` : null,
    ];
    lines.push(`  epoch ${p.epoch}${losses.some(Boolean) ? `: ${losses.filter(Boolean).join(', ')}` : ''}`);
  }
  if (p.stage === 'awaiting-approval' && p.candidateVersion !== null) lines.push(`  candidate v${p.candidateVersion} awaits approval`);
  return lines.join('\n');
}

async function show(argv: string[], config: ConfigSource): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } }, true);
  const [workflowId, ...extra] = positionals;
  if (!workflowId || extra.length) throw new UsageError('runs show needs exactly one RUN (a workflow id)');
  return withTemporal(config, async (client, target) => {
    const [{ findRun, runProgress }, { runUiLink }, { describeRootCause, rootCause }] = await Promise.all([
      import('../../runs/client.ts'),
      import('../../stack/stack.ts'),
      import('../failures.ts'),
    ]);
    const { handle, description } = await findRun(client, workflowId);
    const status = description.status.name;
    const uiLink = runUiLink(target.uiUrl, target.namespace, workflowId, description.runId);
    let progress: LiveProgress | null = null;
    let result: RunResult | null = null;
    let failure: RootCause | null = null;
    if (status === 'RUNNING') progress = await runProgress(client, workflowId, description.runId);
    else if (status === 'COMPLETED') result = await handle.result();
    else
      failure = await handle.result().then(
        () => null,
        (err: unknown) => rootCause(err),
      );
    const outcome = result?.outcome ?? (failure ? status : null);
    if (values.json) printJson({ workflowId, runId: description.runId, status, outcome, uiLink, progress, result, failure });
    else {
      process.stdout.write(`${workflowId}: ${status}${outcome && outcome !== status ? ` (${paintOutcome(outcome)})` : ''}\n`);
      if (progress) process.stdout.write(describeProgress(progress) + '\n');
      if (result) process.stdout.write(formatRunResult(result, uiLink) + '\n');
      if (failure) process.stdout.write(`  ${describeRootCause(failure)}\n${uiLink ? `  Temporal UI: ${uiLink}\n` : ''}`);
      if (progress && uiLink) process.stdout.write(`  Temporal UI: ${uiLink}\n`);
    }
    return UNFINISHED.has(status) ? 1 : 0;
  });
}

async function cancel(argv: string[], config: ConfigSource): Promise<number> {
  const { values, positionals } = parse(argv, { reason: { type: 'string' }, by: { type: 'string' }, json: { type: 'boolean' } }, true);
  const [workflowId, ...extra] = positionals;
  if (!workflowId || extra.length) throw new UsageError('runs cancel needs exactly one RUN (a workflow id)');
  if (!values.reason?.trim()) throw new UsageError('runs cancel needs --reason TEXT saying why');
  const by = values.by ?? os.userInfo().username;
  return withTemporal(config, async (client) => {
    const [{ findRun }, { cancelReasonSignal }, { rootCause }] = await Promise.all([
      import('../../runs/client.ts'),
      import('../../workflows/definitions.ts'),
      import('../failures.ts'),
    ]);
    const { handle, description } = await findRun(client, workflowId);
    if (description.status.name !== 'RUNNING')
      throw new Error(`run ${workflowId} is not running: it is ${description.status.name.toLowerCase()}`);
    await handle.signal(cancelReasonSignal, { reason: values.reason!, by });
    await handle.cancel();
    // The run abandons its candidate before it ends; report once it has.
    const failure = await handle.result().then(
      () => null,
      (err: unknown) => rootCause(err),
    );
    const final = (await handle.describe()).status.name;
    if (values.json) printJson({ workflowId, status: final, reason: values.reason, by, failure });
    else process.stdout.write(`${workflowId}: ${final.toLowerCase()} by ${by}: ${values.reason}\n`);
    return 0;
  });
}

export function runs(argv: string[], configInput: ConfigInput): Promise<number> {
  const config = configSource(configInput);
  return dispatch('runs', argv, RUNS_HELP, {
    list: { summary: 'list runs', run: (a) => list(a, config) },
    show: { summary: 'show one run', run: (a) => show(a, config) },
    cancel: { summary: 'cancel a run', run: (a) => cancel(a, config) },
  });
}

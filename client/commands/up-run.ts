/** The run `nightshift up` starts, or the model's run already in flight that it follows; its decision printed. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Config } from '../../stack/config.ts';
import { runUiLink } from '../../stack/stack.ts';
import { listRuns, RunAlreadyRunningError, startRetrain } from '../../runs/client.ts';
import type { RunResult } from '../../workflows/definitions.ts';
import type { retrainModel } from '../../workflows/index.ts';
import { formatRunResult, log, printJson } from '../output.ts';
import type { TemporalEndpoint } from './up-start.ts';
import type { UpOptions } from './up.ts';

/**
 * Starts a run, or follows the model's run already in flight (one started before a crash of an
 * earlier `up`, say) so it finishes here; prints its decision.
 */
export async function runOrFollow(
  client: Client,
  config: Config,
  temporal: TemporalEndpoint,
  options: UpOptions,
  workerStopped: Promise<void>,
): Promise<RunResult> {
  let handle: WorkflowHandle<typeof retrainModel>;
  let runId: string;
  let verb = 'following run already in progress';
  // A run whose worker died before it took the run slot holds no slot yet, but is in flight all the same.
  const [inFlight] = await listRuns(client, options.model, { running: true, limit: 1 });
  if (inFlight) {
    handle = client.workflow.getHandle<typeof retrainModel>(inFlight.workflowId, inFlight.runId);
    runId = inFlight.runId;
  } else {
    try {
      const started = await startRetrain(client, config.taskQueue, { model: options.model, trigger: 'startup' });
      handle = started;
      runId = started.firstExecutionRunId;
      verb = 'started run';
    } catch (err) {
      if (!(err instanceof RunAlreadyRunningError)) throw err;
      handle = client.workflow.getHandle<typeof retrainModel>(err.workflowId, err.runId);
      runId = err.runId;
    }
  }
  const link = runUiLink(temporal.uiUrl, config.namespace, handle.workflowId, runId);
  log(`${verb} ${handle.workflowId}${link ? `\n  ${link}` : ''}`);
  const result = await Promise.race([
    handle.result(),
    workerStopped.then(() => {
      throw new Error('the worker stopped before the run finished');
    }),
  ]);
  if (options.json) printJson(result);
  else process.stdout.write(formatRunResult(result, link) + '\n');
  return result;
}

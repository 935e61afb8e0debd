import type { Config } from '../config.ts';
import { resolveTemporal, runUiLink } from '../stack/stack.ts';
import { connectClient, startRetrain } from '../runs.ts';
import { formatRunResult, log, printJson } from '../output.ts';
import { HYPERPARAMETER_FLAGS, HYPERPARAMETER_HELP, hyperparametersFrom, parse, UsageError } from './args.ts';
import { checkModelName } from '../../activities/registry/models.ts';
import type { RunResult } from '../../workflows/definitions.ts';

export const RETRAIN_HELP = `Usage: nightshift retrain --model NAME [--wait] [--force] [--json] [hyperparameters]

Starts a retraining run (a manual start) on the running stack and prints its workflow id and
Temporal UI link; with --wait, waits for the decision and prints it.

  --model NAME  the model to retrain (required)
  --wait        wait for the run and print its decision
  --force       train even when no new data arrived (evaluates on all held-out data)
  --json        one JSON document on stdout: {workflowId, runId, uiLink} or, with --wait, the decision

${HYPERPARAMETER_HELP}`;

export async function retrain(argv: string[], config: Config): Promise<number> {
  const { values } = parse(argv, { model: { type: 'string' }, wait: { type: 'boolean' }, force: { type: 'boolean' }, json: { type: 'boolean' }, ...HYPERPARAMETER_FLAGS });
  if (values.help) {
    process.stdout.write(RETRAIN_HELP + '\n');
    return 0;
  }
  if (!values.model) throw new UsageError('--model is required');
  checkModelName(values.model);
  const hyperparameters = hyperparametersFrom(values);
  const target = await resolveTemporal(config);
  const { client, close } = await connectClient(target);
  try {
    const handle = await startRetrain(client, target.taskQueue, { model: values.model, trigger: 'manual', force: values.force ?? false, hyperparameters });
    const link = runUiLink(target.uiUrl, target.namespace, handle.workflowId, handle.firstExecutionRunId);
    if (!values.wait) {
      if (values.json) printJson({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, uiLink: link });
      else process.stdout.write(`started ${handle.workflowId}\n${link ? `  ${link}\n` : ''}`);
      return 0;
    }
    log(`started ${handle.workflowId}; waiting for the decision`);
    const result = (await handle.result()) as RunResult;
    if (values.json) printJson(result);
    else process.stdout.write(formatRunResult(result, link) + '\n');
    return 0;
  } finally {
    await close();
  }
}

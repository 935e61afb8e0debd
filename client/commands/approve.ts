/** `nightshift approve|reject RUN`: answers a run waiting for approval, through a workflow update. */
import os from 'node:os';
import { printJson } from '../output.ts';
import { parse, UsageError } from './args.ts';
import { configSource, withTemporal, type ConfigInput } from './connect.ts';

export async function approve(command: 'approve' | 'reject', argv: string[], configInput: ConfigInput): Promise<number> {
  const config = configSource(configInput);
  const { values, positionals } = parse(
    argv,
    { reason: { type: 'string' }, approver: { type: 'string' }, json: { type: 'boolean' } },
    true,
  );
  const [runId] = positionals;
  if (!runId || positionals.length > 1) throw new UsageError(`${command} needs exactly one RUN (a workflow id)`);
  if (!values.reason?.trim()) throw new UsageError(`${command} needs --reason TEXT`);
  const approver = values.approver ?? os.userInfo().username;
  return withTemporal(config, async (client) => {
    const [{ WorkflowUpdateFailedError }, { findRun }, { approveUpdate, progressQuery, rejectUpdate }] = await Promise.all([
      import('@temporalio/client'),
      import('../../runs/client.ts'),
      import('../../workflows/definitions.ts'),
    ]);
    const { handle, description } = await findRun(client, runId);
    if (description.status.name !== 'RUNNING')
      throw new Error(`run ${runId} is not waiting for approval: it is ${description.status.name.toLowerCase()}`);
    const progress = await handle.query(progressQuery);
    if (progress.stage !== 'awaiting-approval' || progress.candidateVersion === null) {
      throw new Error(`run ${runId} is not waiting for approval (stage: ${progress.stage})`);
    }
    try {
      const record = await handle.executeUpdate(command === 'approve' ? approveUpdate : rejectUpdate, {
        args: [{ candidateVersion: progress.candidateVersion, approver, reason: values.reason }],
      });
      if (values.json) printJson({ workflowId: runId, candidateVersion: progress.candidateVersion, ...record });
      else
        process.stdout.write(
          `${command === 'approve' ? 'approved' : 'rejected'} candidate v${progress.candidateVersion} of ${progress.model} in ${runId}\n`,
        );
      return 0;
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        throw new Error(`run ${runId} refused the ${command}: ${err.cause?.message ?? err.message}`);
      throw err;
    }
  });
}

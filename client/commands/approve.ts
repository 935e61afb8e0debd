import os from 'node:os';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Config } from '../../stack/config.ts';
import { resolveTemporal } from '../../stack/stack.ts';
import { connectClient, findRun } from '../../runs/client.ts';
import { printJson } from '../output.ts';
import { parse, UsageError } from './args.ts';
import { approveUpdate, progressQuery, rejectUpdate } from '../../workflows/definitions.ts';

export const APPROVE_HELP = `Usage: nightshift approve RUN --reason TEXT [--approver NAME] [--json]
       nightshift reject RUN --reason TEXT [--approver NAME] [--json]

Answers a run waiting for approval (started with --require-approval). RUN is its workflow id. The
run refuses an answer for another candidate than the one waiting, or when it is not waiting. Who
answered and why goes into the promotion history.

  --reason TEXT    why (required)
  --approver NAME  who (default: the login name)`;

export async function approve(command: 'approve' | 'reject', argv: string[], config: Config): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { reason: { type: 'string' }, approver: { type: 'string' }, json: { type: 'boolean' } },
    true,
  );
  if (values.help) {
    process.stdout.write(APPROVE_HELP + '\n');
    return 0;
  }
  const [runId] = positionals;
  if (!runId || positionals.length > 1) throw new UsageError(`${command} needs exactly one RUN (a workflow id)`);
  if (!values.reason?.trim()) throw new UsageError(`${command} needs --reason TEXT`);
  const approver = values.approver ?? os.userInfo().username;
  const target = await resolveTemporal(config);
  const { client, close } = await connectClient(target);
  try {
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
  } finally {
    await close();
  }
}

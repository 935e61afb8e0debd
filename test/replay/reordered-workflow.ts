/**
 * Negative control for the replay test: retrainModel with its first two steps swapped (the
 * champion's evaluation scheduled before fetching the data). Replaying recorded histories against
 * it must fail, or the replay test could not catch a change that breaks running workflows.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.ts';
import type { RetrainInput } from '../../workflows/definitions.ts';

const { evaluateModel, fetchNewData } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute' });

export async function retrainModel(input: RetrainInput): Promise<unknown> {
  await evaluateModel({ versionId: 1, snapshotId: 1 });
  return fetchNewData({ model: input.model, windowEnd: new Date().toISOString() });
}

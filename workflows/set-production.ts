/**
 * setProduction: an audited manual promotion or a rollback, as a workflow so it is durable and
 * visible in the Temporal UI like every other change of production.
 */
import { proxyActivities, upsertSearchAttributes, workflowInfo, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { databaseStepRetry } from './retry-policies.ts';
import type { SetProductionInput, SetProductionResult } from '../activities/pipeline/types.ts';
import { ModelNameKey, OutcomeKey } from './definitions.ts';

const { setProductionVersion } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: databaseStepRetry,
});

export async function setProduction(input: SetProductionInput): Promise<SetProductionResult> {
  upsertSearchAttributes([{ key: ModelNameKey, value: input.model }]);
  const result = await setProductionVersion(input);
  upsertSearchAttributes([{ key: OutcomeKey, value: input.kind === 'rollback' ? 'ROLLED_BACK' : 'PROMOTED_BY_HAND' }]);
  setCurrentDetails(
    `### ${input.model}: ${input.kind} v${result.fromVersion ?? '-'} -> v${result.toVersion}\n\nBy ${input.actor}: ${input.reason}\n\nWorkflow ${workflowInfo().workflowId}`,
  );
  return result;
}

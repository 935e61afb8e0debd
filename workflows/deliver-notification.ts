/**
 * deliverNotification: sends one notification to its webhooks, retrying failed targets with
 * backoff, as a child workflow its parent abandons: a slow or failing webhook never fails or
 * delays the run that announced something. Failures are recorded by the activity.
 */
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { DeliverySummary, NotificationInput } from '../activities/pipeline/notify.ts';

const { deliverNotification: deliver } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 3, maximumAttempts: 4 },
});

export async function deliverNotification(input: NotificationInput): Promise<DeliverySummary | { gaveUp: string }> {
  try {
    return await deliver(input);
  } catch (err) {
    if (err instanceof ActivityFailure) return { gaveUp: err.cause?.message ?? err.message };
    throw err;
  }
}

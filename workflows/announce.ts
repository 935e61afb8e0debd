/** Starts a notification's delivery as an abandoned child workflow: the caller waits only for its start. */
import { ParentClosePolicy, patched, startChild } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { NotificationInput } from '../activities/pipeline/notify.ts';
import { deliverNotification } from './deliver-notification.ts';

export async function announce(input: NotificationInput): Promise<void> {
  // Runs recorded before notifications existed replay without them.
  if (!patched('notifications')) return;
  try {
    await startChild(deliverNotification, {
      workflowId: `notify-${input.event}-${input.workflowId}`,
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `Notify ${input.event}: ${input.model}`,
    });
  } catch (err) {
    // Already announced (a reset or retried workflow task): nothing to add.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

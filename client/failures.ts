/**
 * A failed run's root cause as the client sees it: WorkflowFailedError unwrapped by the SDK's
 * failure classes, so it reaches people as a type and a message rather than "Workflow execution
 * failed".
 */
import { WorkflowFailedError } from '@temporalio/client';
import { rootCause as causeOf, type RootCause } from '../workflows/failure-cause.ts';

export { describeRootCause, type RootCause } from '../workflows/failure-cause.ts';

export function rootCause(err: unknown): RootCause {
  return causeOf(err instanceof WorkflowFailedError ? (err.cause ?? err) : err);
}

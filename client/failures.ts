/**
 * A failed run's root cause, found by the SDK's failure classes (WorkflowFailedError ->
 * ActivityFailure / ChildWorkflowFailure -> ApplicationFailure ...), so it reaches people as a type
 * and a message rather than "Workflow execution failed".
 */
import { WorkflowFailedError } from '@temporalio/client';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
} from '@temporalio/common';

export interface RootCause {
  /** ApplicationFailure type (e.g. TrainingDiverged), or Cancelled, Terminated, Timeout. */
  type: string;
  message: string;
  /** The activity that failed, when an activity did. */
  activity: string | null;
}

export function rootCause(err: unknown): RootCause {
  let activity: string | null = null;
  let current: unknown = err instanceof WorkflowFailedError ? err.cause : err;
  for (;;) {
    if (current instanceof ActivityFailure) activity = current.activityType;
    const next = current instanceof ActivityFailure || current instanceof ChildWorkflowFailure ? current.cause : undefined;
    if (!next) break;
    current = next;
  }
  if (current instanceof ApplicationFailure) return { type: current.type ?? 'Error', message: current.message, activity };
  if (current instanceof CancelledFailure) return { type: 'Cancelled', message: current.message || 'cancelled', activity };
  if (current instanceof TerminatedFailure) return { type: 'Terminated', message: current.message || 'terminated', activity };
  if (current instanceof TimeoutFailure) return { type: 'Timeout', message: `${current.timeoutType ?? ''} timeout`.trim(), activity };
  if (current instanceof TemporalFailure || current instanceof Error) return { type: current.name, message: current.message, activity };
  return { type: 'Error', message: String(current), activity };
}

/** "TrainingDiverged in trainCandidate: training diverged at ..." */
export function describeRootCause(cause: RootCause): string {
  return `${cause.type}${cause.activity ? ` in ${cause.activity}` : ''}: ${cause.message}`;
}

/**
 * The root cause of a failure, found by the SDK's failure classes (ActivityFailure /
 * ChildWorkflowFailure -> ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure).
 * Pure: the workflow uses it to say why a run failed, the client to print it.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
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
  let current: unknown = err;
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
  if (current instanceof Error) return { type: current.name, message: current.message, activity };
  return { type: 'Error', message: String(current), activity };
}

/** "TrainingDiverged in trainCandidate: training diverged at ..." */
export function describeRootCause(cause: RootCause): string {
  return `${cause.type}${cause.activity ? ` in ${cause.activity}` : ''}: ${cause.message}`;
}

/**
 * Turns errors that no retry can fix (typed ML and registry errors) into non-retryable Temporal
 * failures with the same type; everything else (a lost connection, a timeout) stays a plain error
 * that Temporal retries.
 */
import { ApplicationFailure } from '@temporalio/common';
import { TypedError } from '../ml/typed-error.ts';

export function toFailure(err: unknown): unknown {
  if (err instanceof TypedError) {
    return ApplicationFailure.nonRetryable(err.message, err.type);
  }
  return err;
}

/** Wraps an activity so typed permanent errors become non-retryable failures. */
export function permanentErrorsAreFinal<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      throw toFailure(err);
    }
  };
}

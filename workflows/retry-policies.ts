/** Retry policies the workflows share. Pure: workflows import it. */
import type { RetryPolicy } from '@temporalio/common';
import { PERMANENT_FAILURE_TYPES } from '../activities/failure-types.ts';

/**
 * Database reads and writes and evaluation: retried with backoff while PostgreSQL is away, and on
 * another worker when one dies mid-step; permanent failures are never retried.
 */
export const databaseStepRetry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  nonRetryableErrorTypes: PERMANENT_FAILURE_TYPES,
};

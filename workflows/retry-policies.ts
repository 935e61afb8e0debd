/** Retry policies the workflows share. Pure: workflows import it. */
import type { RetryPolicy } from '@temporalio/common';

/**
 * Failure types no retry fixes: a copy of activities/failure-types.ts PERMANENT_FAILURE_TYPES (the
 * typed errors of ml/, registry/ and the activity layer), kept here so the workflow bundle loads no
 * activity or ML code. test/unit/workflow-copies.test.ts fails when the two lists differ.
 */
export const PERMANENT_FAILURE_TYPES: string[] = [
  'InvalidOptions',
  'InvalidTrainingData',
  'InvalidTestData',
  'TrainingDiverged',
  'ModelCorrupted',
  'UnsupportedModelFormat',
  'UnknownModel',
  'UnknownVersion',
  'InvalidName',
  'NoPreviousVersion',
  'NotInWorkflow',
  'InvalidInput',
];

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

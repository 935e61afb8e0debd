/**
 * Failure types no retry fixes, derived from the typed errors' own lists (so a new error type is a
 * permanent failure everywhere at once). The activities raise them as non-retryable; the retry
 * policies of the workflows name them too (a copy in workflows/retry-policies.ts, so the workflow
 * bundle holds no ML or registry code; test/unit/workflow-copies.test.ts keeps the two equal), so
 * one raised without the flag is not retried either.
 */
import { ML_ERROR_TYPES } from '../ml/errors.ts';
import { REGISTRY_ERROR_TYPES } from '../registry/errors.ts';

/** Raised by the activity layer itself (an activity called outside a workflow, a bad input). */
export const ACTIVITY_ERROR_TYPES = ['NotInWorkflow', 'InvalidInput'] as const;

export type PermanentFailureType =
  (typeof ML_ERROR_TYPES)[number] | (typeof REGISTRY_ERROR_TYPES)[number] | (typeof ACTIVITY_ERROR_TYPES)[number];

export const PERMANENT_FAILURE_TYPES: PermanentFailureType[] = [
  ...new Set<PermanentFailureType>([...ML_ERROR_TYPES, ...REGISTRY_ERROR_TYPES, ...ACTIVITY_ERROR_TYPES]),
];

/**
 * Typed errors of the pure ML modules. `type` is the failure type the activities use when they
 * turn one of these into a non-retryable Temporal failure: none of them goes away on a retry.
 */
import { TypedError } from './typed-error.ts';

export const ML_ERROR_TYPES = [
  'InvalidOptions',
  'InvalidTrainingData',
  'InvalidTestData',
  'TrainingDiverged',
  'ModelCorrupted',
  'UnsupportedModelFormat',
] as const;

export type MlErrorType = (typeof ML_ERROR_TYPES)[number];

export class MlError extends TypedError<MlErrorType> {}

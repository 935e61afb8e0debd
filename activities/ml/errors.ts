/**
 * Typed errors of the pure ML modules. `type` is the failure type the activities use when they
 * turn one of these into a non-retryable Temporal failure: none of them goes away on a retry.
 */
import { TypedError } from '../typed-error.ts';

export type MlErrorType =
  | 'InvalidOptions'
  | 'InvalidTrainingData'
  | 'InvalidTestData'
  | 'TrainingDiverged'
  | 'ModelCorrupted'
  | 'UnsupportedModelFormat';

export class MlError extends TypedError<MlErrorType> {}

/**
 * Typed errors of the pure ML modules. `type` is the failure type the activities use when they
 * turn one of these into a non-retryable Temporal failure: none of them goes away on a retry.
 */
export type MlErrorType =
  | 'InvalidOptions'
  | 'InvalidTrainingData'
  | 'InvalidTestData'
  | 'TrainingDiverged'
  | 'ModelCorrupted'
  | 'UnsupportedModelFormat';

export class MlError extends Error {
  readonly type: MlErrorType;

  constructor(type: MlErrorType, message: string) {
    super(message);
    this.name = type;
    this.type = type;
  }
}

export function isMlError(err: unknown): err is MlError {
  return err instanceof MlError;
}

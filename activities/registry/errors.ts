/** Registry errors that no retry fixes; activities turn them into non-retryable failures. */
export type RegistryErrorType = 'UnknownModel' | 'UnknownVersion' | 'InvalidName' | 'ModelCorrupted' | 'NoPreviousVersion';

export class RegistryError extends Error {
  readonly type: RegistryErrorType;

  constructor(type: RegistryErrorType, message: string) {
    super(message);
    this.name = type;
    this.type = type;
  }
}

import { TypedError } from '../typed-error.ts';

/** Registry errors that no retry fixes; activities turn them into non-retryable failures. */
export type RegistryErrorType = 'UnknownModel' | 'UnknownVersion' | 'InvalidName' | 'ModelCorrupted' | 'NoPreviousVersion';

export class RegistryError extends TypedError<RegistryErrorType> {}

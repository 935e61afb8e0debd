import { TypedError } from '../ml/typed-error.ts';

/** Registry errors that no retry fixes; activities turn them into non-retryable failures. */
export const REGISTRY_ERROR_TYPES = ['UnknownModel', 'UnknownVersion', 'InvalidName', 'ModelCorrupted', 'NoPreviousVersion'] as const;

export type RegistryErrorType = (typeof REGISTRY_ERROR_TYPES)[number];

export class RegistryError extends TypedError<RegistryErrorType> {}

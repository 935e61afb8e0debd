/**
 * An error no retry can fix, with a type name. The ML and registry modules throw subclasses; the
 * activity layer turns any of them into a non-retryable Temporal failure of the same type.
 */
export class TypedError<T extends string = string> extends Error {
  readonly type: T;

  constructor(type: T, message: string) {
    super(message);
    this.name = type;
    this.type = type;
  }
}

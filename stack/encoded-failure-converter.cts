/**
 * The failure converter used when payloads are encrypted: failure messages and stack traces go
 * into an encoded attributes payload (so the codec encrypts them) instead of plain history fields.
 * CommonJS (.cts compiles to .cjs), because clients and workers require() it by path, and the
 * workflow bundle includes it (the workflow sandbox converts the workflow's own failures).
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });

/**
 * Thrown by a `waitFor` probe when the condition can no longer come true (the run ended another
 * way, the process exited): the wait fails at once with this message instead of at its timeout.
 */
export class WaitAbandoned extends Error {
  override name = 'WaitAbandoned';
}

/**
 * Polls `probe` until it returns a value that is not undefined, or fails after `timeoutMs`. A probe
 * that throws `WaitAbandoned` fails the wait at once; other errors are retried (the last is reported).
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      if (err instanceof WaitAbandoned) throw new Error(`gave up waiting for ${what}: ${err.message}`, { cause: err });
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/**
 * Waits for a process's exit (the promise `exited`) at most `timeoutMs` (a generous bound: a hang
 * fails here, naming `what` and showing `output()`, instead of at the test's timeout).
 */
export async function exitWithin<T>(exited: Promise<T>, timeoutMs: number, what: string, output: () => string = () => ''): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} had not exited after ${timeoutMs / 1000} s; output:\n${output()}`)), timeoutMs);
  });
  try {
    return await Promise.race([exited, hung]);
  } finally {
    clearTimeout(timer);
  }
}

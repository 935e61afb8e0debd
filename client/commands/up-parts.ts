/**
 * What `nightshift up` started, and how it stops: each part is a step with a graceful stop and an
 * immediate one, stopped in reverse order of starting; Ctrl-C (or SIGTERM) asks for the graceful
 * stop, a second one for the immediate one.
 */
import { log } from '../output.ts';

export interface Step {
  name: string;
  graceful: (graceMs: number) => Promise<void>;
  now: () => Promise<void> | void;
}

/**
 * What `up` started, stopped in reverse order. close() gives the whole shutdown the grace period
 * (plus a margin for the servers' own escalation); a step still running then is abandoned and
 * the rest are stopped at once. closeNow() stops everything without waiting (a second Ctrl-C).
 * A step added after closing began (a start-up racing a Ctrl-C) is stopped at once.
 */
export class StartedParts {
  private steps: Step[] = [];
  private closing: Promise<void> | null = null;

  constructor(private readonly graceMs: number) {}

  add(step: Step): void {
    if (this.closing) void Promise.resolve(step.now()).catch(() => undefined);
    else this.steps.push(step);
  }

  close(): Promise<void> {
    this.closing ??= this.closeInOrder();
    return this.closing;
  }

  async closeNow(): Promise<void> {
    const steps = this.steps.splice(0).reverse();
    await Promise.race([Promise.allSettled(steps.map(async (s) => s.now())), new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  private async closeInOrder(): Promise<void> {
    const deadline = Date.now() + this.graceMs + 5000;
    while (this.steps.length) {
      const step = this.steps.pop()!;
      const left = deadline - Date.now();
      if (left <= 0) {
        log(`shutdown: out of time; stopping ${[step, ...this.steps].map((s) => s.name).join(', ')} at once`);
        this.steps.push(step);
        return this.closeNow();
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        step
          .graceful(Math.min(this.graceMs, left))
          .then(() => false)
          .catch((err: Error) => {
            log(`shutdown: ${step.name}: ${err.message}`);
            return false;
          }),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), left))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        log(`shutdown: ${step.name} did not stop in time; stopping it at once`);
        await Promise.resolve(step.now()).catch(() => undefined);
      }
    }
  }
}

/**
 * Ctrl-C (or SIGTERM): the first asks for a graceful stop (while serving, the command then ends
 * with 0; earlier, with 130); the second stops everything at once and exits 130.
 */
export function handleSignals(parts: StartedParts): { stopRequested: Promise<void>; serving(): void; dispose(): void } {
  let signals = 0;
  let isServing = false;
  let requestStop: () => void = () => undefined;
  const stopRequested = new Promise<void>((r) => (requestStop = r));
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      log(`${signal}: shutting down (again to stop at once)`);
      requestStop();
      if (!isServing) void parts.close().then(() => process.exit(130));
      return;
    }
    log(`${signal} again: stopping everything now`);
    void parts.closeNow().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stopRequested,
    serving: () => (isServing = true),
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

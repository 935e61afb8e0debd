/**
 * The model server's optional Temporal client, for the runs on the dashboard. It connects on first
 * use (through runs/client.ts connectClient, to whatever the resolver names: TEMPORAL_ADDRESS or
 * the home's running stack), remembers a failure for a while instead of paying a connect timeout
 * on every request, and drops a connection whose calls fail so the next use reconnects. Without a
 * resolver, or while Temporal is unreachable, runs are "unavailable"; nothing else depends on it.
 */
import type { Client } from '@temporalio/client';
import { connectClient } from '../runs/client.ts';
import type { TemporalTarget } from '../stack/stack.ts';

export type TemporalResolver = () => Promise<TemporalTarget>;

const RETRY_AFTER_MS = 10_000;
const CALL_DEADLINE_MS = 5_000;

export type TemporalUse<T> = { available: true; value: T; target: TemporalTarget } | { available: false; reason: string };

interface Connected {
  client: Client;
  target: TemporalTarget;
  close: () => Promise<void>;
}

export class TemporalAccess {
  private connected: Promise<Connected> | null = null;
  private failure: { reason: string; until: number } | null = null;
  private closed = false;

  constructor(private readonly resolve: TemporalResolver | null) {}

  /** Runs `fn` with a client, bounded by a deadline; an unreachable Temporal is an answer, not an error. */
  async use<T>(fn: (client: Client, target: TemporalTarget) => Promise<T>): Promise<TemporalUse<T>> {
    if (!this.resolve) return { available: false, reason: 'this model server has no Temporal connection configured' };
    if (this.closed) return { available: false, reason: 'the model server is stopping' };
    if (this.failure && Date.now() < this.failure.until) return { available: false, reason: this.failure.reason };
    let c: Connected;
    try {
      this.connected ??= this.connect();
      c = await this.connected;
    } catch (err) {
      this.connected = null;
      return this.fail(`cannot reach Temporal: ${(err as Error).message}`);
    }
    try {
      const value = await c.client.withDeadline(Date.now() + CALL_DEADLINE_MS, () => fn(c.client, c.target));
      this.failure = null;
      return { available: true, value, target: c.target };
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      this.connected = null;
      void c.close().catch(() => undefined);
      return this.fail(`Temporal at ${c.target.address} did not answer: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = await this.connected?.catch(() => null);
    this.connected = null;
    await c?.close().catch(() => undefined);
  }

  private async connect(): Promise<Connected> {
    const target = await this.resolve!();
    const { client, close } = await connectClient(target);
    return { client, target, close };
  }

  private fail(reason: string): { available: false; reason: string } {
    this.failure = { reason, until: Date.now() + RETRY_AFTER_MS };
    return { available: false, reason };
  }
}

/** gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4), as the SDK's ServiceError carries them. */
function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown; cause?: { code?: unknown } }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
  return code === 14 || code === 4 || /unavailable|deadline|connect/i.test((err as Error).message ?? '');
}

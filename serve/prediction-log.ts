/**
 * The prediction log's write path, off the request path: requests push records into a bounded
 * buffer (rows and text bytes) and return; a timer writes batches with one INSERT each. Up to
 * `writers` batches are in flight at once, each on its own pooled connection: a batched request
 * load logs thousands of long texts a second, and one batch at a time left PostgreSQL idle while
 * this process was busy predicting (the round trips of a single writer wait behind the event loop).
 * When PostgreSQL is slow or down the buffer fills and further records are dropped and counted
 * (never queued without bound, never awaited by a request); a failed batch goes back to the front
 * of the buffer while there is room, and writing resumes with backoff, one batch at a time until a
 * write succeeds. Text hashes are computed by the writer, not by the request.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../registry/pool.ts';
import { deletePredictionsBefore, insertPredictions, type PredictionRecord } from '../registry/predictions.ts';
import type { ServeMetrics } from './metrics.ts';
import type { Log } from './model-store.ts';

export interface PendingPrediction {
  id: string;
  modelId: number;
  versionId: number;
  version: number;
  createdAt: Date;
  text: string;
  label: string;
  probabilities: Record<string, number>;
  latencyMs: number;
}

export interface PredictionLogOptions {
  logText: boolean;
  maxRows: number;
  maxBytes: number;
  batchRows: number;
  flushMs: number;
  retentionDays: number;
  /** Most batches in flight at once (default 3); 1 while PostgreSQL is failing. */
  writers?: number;
}

export interface PredictionLogStats {
  buffered: number;
  bufferedBytes: number;
  written: number;
  dropped: number;
  writeFailures: number;
  lastError: string | null;
}

const MAX_BACKOFF_MS = 5000;
const RETENTION_EVERY_MS = 60 * 60 * 1000;

/** Bytes a buffered record holds on to (its text dominates; the rest is a rough constant). */
const sizeOf = (p: PendingPrediction): number => p.text.length * 2 + 256;

export class PredictionLog {
  private buffer: PendingPrediction[] = [];
  private bytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private retentionRun: Promise<unknown> | null = null;
  private backoffUntil = 0;
  private backoffMs = 250;
  private down = false;
  private droppedWhileDown = 0;
  private closed = false;
  private readonly s: PredictionLogStats = { buffered: 0, bufferedBytes: 0, written: 0, dropped: 0, writeFailures: 0, lastError: null };

  constructor(
    private readonly db: Db,
    private readonly o: PredictionLogOptions,
    private readonly metrics: ServeMetrics,
    private readonly log: Log,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.o.flushMs);
    this.timer.unref();
    const prune = () => {
      this.retentionRun ??= this.prune().finally(() => (this.retentionRun = null));
    };
    prune();
    this.retentionTimer = setInterval(prune, RETENTION_EVERY_MS);
    this.retentionTimer.unref();
  }

  /** Queues a record; false (and counted) when the buffer is full. Never blocks. */
  push(p: PendingPrediction): boolean {
    const size = sizeOf(p);
    if (this.closed || this.buffer.length >= this.o.maxRows || this.bytes + size > this.o.maxBytes) {
      this.s.dropped++;
      if (this.down) this.droppedWhileDown++;
      this.metrics.logDropped.inc();
      return false;
    }
    this.buffer.push(p);
    this.bytes += size;
    if (this.buffer.length >= this.o.batchRows) this.tick();
    return true;
  }

  stats(): PredictionLogStats {
    return { ...this.s, buffered: this.buffer.length, bufferedBytes: this.bytes };
  }

  private tick(): void {
    this.metrics.logBuffered.set(this.buffer.length);
    if (Date.now() < this.backoffUntil) return;
    const writers = this.down ? 1 : (this.o.writers ?? 3);
    // A partial batch goes out only when nothing is in flight (the timer's flush of a quiet
    // period); more writers start only for full batches, so a trickle does not become many tiny INSERTs.
    while (this.inFlight.size < writers && this.buffer.length > 0 && (this.inFlight.size === 0 || this.buffer.length >= this.o.batchRows)) {
      this.startBatch();
    }
  }

  private startBatch(): void {
    const w: Promise<void> = this.writeBatch().finally(() => {
      this.inFlight.delete(w);
      // More may have arrived meanwhile: keep the writers busy without waiting for the timer.
      if (!this.closed && this.buffer.length >= this.o.batchRows) this.tick();
    });
    this.inFlight.add(w);
  }

  private async writeBatch(): Promise<void> {
    const batch = this.buffer.splice(0, this.o.batchRows);
    let batchBytes = 0;
    for (const p of batch) batchBytes += sizeOf(p);
    this.bytes -= batchBytes;
    const rows: PredictionRecord[] = batch.map((p) => {
      // Encoded once: hashed, and sent as the text parameter's bytes.
      const bytes = Buffer.from(p.text, 'utf8');
      return {
        id: p.id,
        modelId: p.modelId,
        versionId: p.versionId,
        version: p.version,
        createdAt: p.createdAt,
        textHash: createHash('sha256').update(bytes).digest(),
        text: this.o.logText ? bytes : null,
        label: p.label,
        probabilities: p.probabilities,
        latencyMs: p.latencyMs,
      };
    });
    try {
      await insertPredictions(this.db, rows);
      this.s.written += rows.length;
      this.metrics.logWritten.inc(rows.length);
      this.backoffMs = 250;
      if (this.down) {
        this.log(`prediction log: writing again; ${this.droppedWhileDown} predictions were dropped while PostgreSQL was unavailable`);
        this.down = false;
        this.droppedWhileDown = 0;
      }
    } catch (err) {
      this.s.writeFailures++;
      this.s.lastError = (err as Error).message;
      this.metrics.logWriteFailures.inc();
      if (!this.down) this.log(`prediction log: cannot write (${this.s.lastError}); buffering up to ${this.o.maxRows} rows, then dropping`);
      this.down = true;
      // Back to the front, as much as fits; the rest is dropped and counted.
      const room = Math.max(0, this.o.maxRows - this.buffer.length);
      let keep = Math.min(room, batch.length);
      let keptBytes = 0;
      for (let i = 0; i < keep; i++) keptBytes += sizeOf(batch[i]);
      while (keep > 0 && this.bytes + keptBytes > this.o.maxBytes) keptBytes -= sizeOf(batch[--keep]);
      const lost = batch.length - keep;
      this.buffer = batch.slice(0, keep).concat(this.buffer);
      this.bytes += keptBytes;
      if (lost > 0) {
        this.s.dropped += lost;
        this.droppedWhileDown += lost;
        this.metrics.logDropped.inc(lost);
      }
      this.backoffUntil = Date.now() + this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    }
  }

  /** Writes what is buffered now (used before reading the log back, and at shutdown). */
  async flush(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.inFlight.size > 0) {
        await Promise.all(this.inFlight);
        continue;
      }
      if (this.buffer.length === 0) return;
      if (this.down && Date.now() < this.backoffUntil) return;
      this.backoffUntil = 0;
      this.startBatch();
    }
  }

  /** Deletes rows past retention in small batches; a failure waits for the next hourly run. */
  async prune(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.o.retentionDays * 86_400_000);
    try {
      const deleted = await deletePredictionsBefore(this.db, before, { batchSize: 2000, pauseMs: 50 });
      if (deleted > 0) this.log(`prediction log: removed ${deleted} predictions older than ${this.o.retentionDays} days`);
      return deleted;
    } catch (err) {
      this.log(`prediction log: retention skipped (${(err as Error).message}); next try in an hour`);
      return 0;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await this.flush(3000);
    this.closed = true;
    await this.retentionRun?.catch(() => undefined);
    const left = this.buffer.length;
    if (left > 0) {
      this.s.dropped += left;
      this.metrics.logDropped.inc(left);
      this.log(`prediction log: ${left} buffered predictions not written at shutdown`);
      this.buffer = [];
      this.bytes = 0;
    }
  }
}

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
 *
 * A batch the database refuses for a row's content (SQLSTATE class 22 or 23: a value it cannot
 * store) is split in halves until the refused rows are alone: the good rows land, each refused
 * row is dropped and counted (`refused`), and the log goes on. Only a failure of the database
 * itself (down, full) puts a batch back. A log that has had rows waiting and no write succeed for
 * `stallMs` is not draining: health() says so and /health answers 503.
 *
 * Texts are kept up to MAX_LOGGED_TEXT_BYTES (cut on a character boundary); every row keeps the
 * full text's UTF-8 length and sha256, so a cut text is known as such (feedback will not make a
 * training example of it).
 */
import { createHash } from 'node:crypto';
import { isRowFault } from '../registry/examples.ts';
import type { Db } from '../registry/pool.ts';
import { deletePredictionsBefore, insertPredictions, MAX_LOGGED_TEXT_BYTES, type PredictionRecord } from '../registry/predictions.ts';
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
  /** Rows waiting this long with no successful write: the log is not draining (default 30 s). */
  stallMs?: number;
}

export interface PredictionLogHealth {
  draining: boolean;
  /** How long rows have waited with no successful write (0 when draining). */
  stalledMs: number;
  message: string | null;
}

export interface PredictionLogStats {
  buffered: number;
  bufferedBytes: number;
  written: number;
  dropped: number;
  writeFailures: number;
  /** Rows the database refused for their content (each dropped alone; the rest of its batch written). */
  refused: number;
  lastError: string | null;
}

const MAX_BACKOFF_MS = 5000;
const RETENTION_EVERY_MS = 60 * 60 * 1000;

/** Bytes a buffered record holds on to (its text dominates; the rest is a rough constant). */
const sizeOf = (p: PendingPrediction): number => p.text.length * 2 + 256;

/** The first `max` bytes of UTF-8 `bytes`, cut before a character that would not fit whole. */
export function cutUtf8(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes;
  let end = max;
  // Back off continuation bytes (10xxxxxx) to the start of the character that straddles the cut.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

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
  /** Last time the log had nothing waiting, or a write succeeded. */
  private progressAt = Date.now();
  private readonly s: PredictionLogStats = {
    buffered: 0,
    bufferedBytes: 0,
    written: 0,
    dropped: 0,
    writeFailures: 0,
    refused: 0,
    lastError: null,
  };

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
    if (this.buffer.length === 0 && this.inFlight.size === 0) this.progressAt = Date.now();
    this.buffer.push(p);
    this.bytes += size;
    if (this.buffer.length >= this.o.batchRows) this.tick();
    return true;
  }

  stats(): PredictionLogStats {
    return { ...this.s, buffered: this.buffer.length, bufferedBytes: this.bytes };
  }

  /** Whether logged predictions reach the database: not when rows have waited `stallMs` with no write succeeding. */
  health(now = Date.now()): PredictionLogHealth {
    const waiting = this.buffer.length > 0 || this.inFlight.size > 0;
    const stalledMs = waiting ? Math.max(0, now - this.progressAt) : 0;
    if (stalledMs < (this.o.stallMs ?? 30_000)) return { draining: true, stalledMs: 0, message: null };
    return {
      draining: false,
      stalledMs,
      message:
        `the prediction log is not draining: ${this.buffer.length} predictions waiting, no write succeeded for ${Math.round(stalledMs / 1000)} s` +
        (this.s.lastError ? ` (last error: ${this.s.lastError})` : '') +
        `; ${this.s.dropped} dropped so far`,
    };
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
      // Encoded once: hashed, and sent as the text parameter's bytes (cut to the logged length).
      const bytes = Buffer.from(p.text, 'utf8');
      return {
        id: p.id,
        modelId: p.modelId,
        versionId: p.versionId,
        version: p.version,
        createdAt: p.createdAt,
        textHash: createHash('sha256').update(bytes).digest(),
        text: this.o.logText ? cutUtf8(bytes, MAX_LOGGED_TEXT_BYTES) : null,
        textBytes: bytes.length,
        label: p.label,
        probabilities: p.probabilities,
        latencyMs: p.latencyMs,
      };
    });
    try {
      await this.insertSplitting(rows);
      this.progressAt = Date.now();
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

  /**
   * Inserts rows; when the database refuses the statement for a row's content, the halves are
   * inserted apart until each refused row is alone, and that row is dropped and counted. A retried
   * half skips what already landed (ON CONFLICT DO NOTHING), so nothing is written twice.
   */
  private async insertSplitting(rows: PredictionRecord[]): Promise<void> {
    try {
      const n = await insertPredictions(this.db, rows);
      this.s.written += n;
      this.metrics.logWritten.inc(n);
    } catch (err) {
      if (!isRowFault(err)) throw err;
      if (rows.length > 1) {
        const mid = rows.length >> 1;
        await this.insertSplitting(rows.slice(0, mid));
        await this.insertSplitting(rows.slice(mid));
        return;
      }
      this.s.refused++;
      this.s.dropped++;
      this.metrics.logDropped.inc();
      // The first refusal and then every 100th, so a stream of bad rows does not flood the log.
      if (this.s.refused % 100 === 1) {
        this.log(
          `prediction log: the database refused prediction ${rows[0].id} (${(err as Error).message}); dropped it and wrote the rest (${this.s.refused} refused so far)`,
        );
      }
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

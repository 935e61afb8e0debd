/**
 * The prediction log's writers, against a stand-in for the pool: several batches in flight while
 * PostgreSQL keeps up (never more than `writers`), every pushed record written exactly once, one
 * batch at a time while writes fail, failed batches back in the buffer, and drops counted only
 * when the bounded buffer is full.
 */
import { describe, expect, it } from 'vitest';
import type { Db } from '../../registry/pool.ts';
import { createServeMetrics } from '../../serve/metrics.ts';
import { PredictionLog, type PendingPrediction } from '../../serve/prediction-log.ts';

class FakeDb {
  inFlight = 0;
  maxInFlight = 0;
  failing = false;
  readonly ids = new Set<string>();
  readonly batches: number[] = [];
  async query(statement: string | { text: string; values: unknown[] }, values: unknown[] = []): Promise<{ rowCount: number }> {
    const sql = typeof statement === 'string' ? statement : statement.text;
    const params = typeof statement === 'string' ? values : statement.values;
    // Retention's DELETE (started by start()) finds nothing to delete.
    if (!sql.trimStart().startsWith('INSERT')) return { rowCount: 0 };
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, 5));
      if (this.failing) throw new Error('connection refused');
      // A statement of fixed row slots: the unused ones are NULL (the INSERT filters them out).
      let rows = 0;
      for (let i = 0; i < params.length; i += 11) {
        if (params[i] === null) {
          expect(params.slice(i, i + 11).every((p) => p === null)).toBe(true);
          continue;
        }
        rows++;
        const id = params[i] as string;
        if (this.ids.has(id)) throw new Error(`duplicate ${id}`);
        this.ids.add(id);
        // The text goes as its UTF-8 bytes.
        expect(Buffer.isBuffer(params[i + 6])).toBe(true);
      }
      this.batches.push(rows);
      return { rowCount: rows };
    } finally {
      this.inFlight--;
    }
  }
}

let n = 0;
const record = (): PendingPrediction => ({
  id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  modelId: 1,
  versionId: 1,
  version: 1,
  createdAt: new Date(),
  text: `text ${n} ü`,
  label: 'a',
  probabilities: { a: 0.75, b: 0.25 },
  latencyMs: 1,
});

const make = (db: FakeDb, o: Partial<{ maxRows: number; writers: number }> = {}) =>
  new PredictionLog(
    db as unknown as Db,
    {
      logText: true,
      maxRows: o.maxRows ?? 10_000,
      maxBytes: 64 << 20,
      batchRows: 50,
      flushMs: 20,
      retentionDays: 30,
      writers: o.writers ?? 3,
    },
    createServeMetrics(),
    () => undefined,
  );

describe('prediction log writers', () => {
  it('keeps up to `writers` full batches in flight and writes every record once', async () => {
    const db = new FakeDb();
    const log = make(db);
    for (let i = 0; i < 2000; i++) expect(log.push(record())).toBe(true);
    await log.flush(10_000);
    expect(db.ids.size).toBe(2000);
    expect(db.maxInFlight).toBe(3);
    expect(log.stats()).toMatchObject({ buffered: 0, written: 2000, dropped: 0, writeFailures: 0 });
    await log.close();
  });

  it('writes one batch at a time while failing, keeps what fits, counts the rest as dropped, then catches up', async () => {
    const db = new FakeDb();
    db.failing = true;
    const log = make(db, { maxRows: 300 });
    log.start();
    let accepted = 0;
    for (let i = 0; i < 1000; i++) if (log.push(record())) accepted++;
    // Once a write has failed, one batch at a time (the first ones started before anything failed).
    while (log.stats().writeFailures === 0 || db.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
    db.maxInFlight = 0;
    const failures = log.stats().writeFailures;
    while (log.stats().writeFailures < failures + 2) await new Promise((r) => setTimeout(r, 20));
    expect(db.maxInFlight).toBe(1);
    const during = log.stats();
    expect(during.writeFailures).toBeGreaterThan(0);
    expect(during.buffered).toBeLessThanOrEqual(300);
    db.failing = false;
    const deadline = Date.now() + 15_000;
    while (log.stats().buffered > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // The last batch may still be in flight once the buffer is empty: wait for it.
    await log.flush();
    const after = log.stats();
    expect(after.buffered).toBe(0);
    // Every pushed record is either written (once) or counted as dropped.
    expect(after.written).toBe(db.ids.size);
    expect(after.written + after.dropped).toBe(1000);
    expect(after.written).toBeLessThanOrEqual(accepted);
    await log.close();
  });
});

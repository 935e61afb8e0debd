/**
 * The pure parts of the model server's hardening (issue 20): the nesting pre-scan and the NUL
 * refusal of the JSON body parser, the Host header rule, the token rule for predictions, the cut
 * of a logged text on a character boundary, and the prediction log's split of a batch the
 * database refuses for one row and its health while writes fail (against a stand-in for the pool
 * that answers as PostgreSQL does: SQLSTATE 22021 for a NUL, 53100 for a full disk).
 */
import { describe, expect, it } from 'vitest';
import type { Db } from '../../registry/pool.ts';
import { MAX_JSON_DEPTH, nestedDeeperThan, parseJsonBody, RefusedJson } from '../../serve/json-body.ts';
import { createServeMetrics } from '../../serve/metrics.ts';
import { hostAllowed, predictionsNeedToken, resolveServeOptions, ServeOptionsError } from '../../serve/options.ts';
import { cutUtf8, PredictionLog, type PendingPrediction } from '../../serve/prediction-log.ts';

describe('JSON body limits', () => {
  it('refuses nesting deeper than 64 levels, counting only brackets outside strings', () => {
    const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(nestedDeeperThan(nest(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestedDeeperThan(nest(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(() => parseJsonBody(`{"a": ${nest(100)}}`)).toThrow(RefusedJson);
    expect(parseJsonBody(`{"a": ${nest(60)}}`)).toBeTruthy();
    // Brackets and escaped quotes inside strings do not count.
    const texts = { inputs: ['['.repeat(500), 'say \\"[[[[\\" \\\\', '{'.repeat(100) + '"'] };
    expect(parseJsonBody(JSON.stringify(texts))).toEqual(texts);
    expect(nestedDeeperThan(JSON.stringify({ a: ['\\', { b: '"[[' }] }), 3)).toBe(false);
    expect(nestedDeeperThan(JSON.stringify({ a: ['\\', { b: '"[[' }] }), 2)).toBe(true);
    // Malformed JSON is left to JSON.parse (a 400 of its own).
    expect(nestedDeeperThan('{"a": "unterminated [[[', 1)).toBe(false);
  });

  it('refuses a NUL character in any string or key, and only that', () => {
    expect(() => parseJsonBody('{"inputs": ["a\\u0000b"]}')).toThrow(/NUL character/);
    expect(() => parseJsonBody('{"inputs": {"te\\u0000xt": ["a"]}}')).toThrow(RefusedJson);
    expect(parseJsonBody('{"inputs": ["a\\\\u0000b"]}')).toEqual({ inputs: ['a\\u0000b'] });
  });
});

describe('Host header and token rules', () => {
  it('accepts loopback names with or without a port and the allowed names, nothing else', () => {
    for (const h of ['localhost', 'localhost:8080', '127.0.0.1:1', '127.5.6.7', '[::1]:8080', '[::1]', 'LocalHost:80', undefined]) {
      expect(hostAllowed(h, []), String(h)).toBe(true);
    }
    for (const h of [
      'evil.example',
      'evil.example:8080',
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      '[::2]:80',
      '',
      'a b',
      'x@localhost',
    ]) {
      expect(hostAllowed(h, []), h).toBe(false);
    }
    expect(hostAllowed('Models.Internal:443', ['models.internal'])).toBe(true);
    expect(() => resolveServeOptions({ allowedHosts: ['models.internal:443'] })).toThrow(ServeOptionsError);
  });

  it('off loopback predictions need the token unless --public-predictions; on loopback only with the flag', () => {
    const token = 'x'.repeat(16);
    expect(predictionsNeedToken(resolveServeOptions({ host: '0.0.0.0', token }))).toBe(true);
    expect(predictionsNeedToken(resolveServeOptions({ host: '0.0.0.0', token, publicPredictions: true }))).toBe(false);
    expect(predictionsNeedToken(resolveServeOptions({ token }))).toBe(false);
    expect(predictionsNeedToken(resolveServeOptions({ token, requireTokenForPredictions: true }))).toBe(true);
    expect(() => resolveServeOptions({ token, requireTokenForPredictions: true, publicPredictions: true })).toThrow(ServeOptionsError);
  });
});

describe('logged text cut', () => {
  it('cuts UTF-8 on a character boundary', () => {
    const b = Buffer.from('aé日\u{1F600}', 'utf8'); // 1 + 2 + 3 + 4 bytes
    expect(cutUtf8(b, 100)).toBe(b);
    expect(cutUtf8(b, 2).toString()).toBe('a');
    expect(cutUtf8(b, 5).toString()).toBe('aé');
    expect(cutUtf8(b, 9).toString()).toBe('aé日');
    expect(cutUtf8(b, 10).toString()).toBe('aé日\u{1F600}');
  });
});

/** Refuses a statement holding a NUL text as PostgreSQL does (22021); fails every write while `diskFull`. */
class StrictDb {
  diskFull = false;
  readonly ids = new Set<string>();
  async query(statement: string | { text: string; values: unknown[] }): Promise<{ rowCount: number }> {
    if (typeof statement === 'string' || !statement.text.startsWith('INSERT')) return { rowCount: 0 };
    await new Promise((r) => setTimeout(r, 1));
    if (this.diskFull) throw Object.assign(new Error('could not extend file'), { code: '53100' });
    const p = statement.values;
    const ids: string[] = [];
    for (let i = 0; i < p.length; i += 11) {
      if (p[i] === null) continue;
      if ((p[i + 6] as Buffer).includes(0))
        throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
      ids.push(p[i] as string);
    }
    let n = 0;
    for (const id of ids) {
      if (this.ids.has(id)) continue;
      this.ids.add(id);
      n++;
    }
    return { rowCount: n };
  }
}

let n = 0;
const record = (text = `text ${n}`): PendingPrediction => ({
  id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  modelId: 1,
  versionId: 1,
  version: 1,
  createdAt: new Date(),
  text,
  label: 'a',
  probabilities: { a: 1 },
  latencyMs: 1,
});

const make = (db: StrictDb, stallMs = 30_000) =>
  new PredictionLog(
    db as unknown as Db,
    { logText: true, maxRows: 10_000, maxBytes: 64 << 20, batchRows: 100, flushMs: 20, retentionDays: 30, stallMs },
    createServeMetrics(),
    () => undefined,
  );

describe('prediction log against rows the database refuses', () => {
  it('splits a refused batch: every good row lands once, each bad row is dropped and counted, nothing is retried for ever', async () => {
    const db = new StrictDb();
    const log = make(db);
    const good: string[] = [];
    for (let i = 0; i < 250; i++) {
      const r = record(i % 50 === 7 ? `bad ${i} \u0000` : `good ${i}`);
      if (!r.text.includes('\u0000')) good.push(r.id);
      log.push(r);
    }
    await log.flush(10_000);
    expect([...db.ids].sort()).toEqual(good.sort());
    expect(log.stats()).toMatchObject({ buffered: 0, written: 245, refused: 5, dropped: 5, writeFailures: 0 });
    expect(log.health().draining).toBe(true);
    await log.close();
  });

  it('is not draining once rows have waited stallMs with every write failing, and drains again after', async () => {
    const db = new StrictDb();
    db.diskFull = true;
    const log = make(db, 200);
    log.start();
    log.push(record());
    expect(log.health().draining).toBe(true);
    while (log.health().draining) await new Promise((r) => setTimeout(r, 20));
    expect(log.health().message).toMatch(/not draining: 1 predictions waiting.*could not extend file/);
    db.diskFull = false;
    while (log.stats().buffered > 0) await new Promise((r) => setTimeout(r, 20));
    await log.flush();
    expect(log.health().draining).toBe(true);
    expect(db.ids.size).toBe(1);
    await log.close();
  });
});

/**
 * The COPY path of `data import` (batches COPYed into a staging table, deduplicated by the
 * database): texts with every character COPY escapes come back byte for byte, duplicates within a
 * file and against stored rows are counted, ids follow line order across batches, and the report
 * carries throughput.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/services.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/dirs.ts';

let database: TestDatabase;
const dir = tempDir(path.join(inject('stateDir'), 'import-copy-'));
const env = () => ({ DATABASE_URL: database.url, NIGHTSHIFT_HOME: path.join(dir, 'home') });

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

interface Report {
  accepted: number;
  duplicates: number;
  rejectedCount: number;
  rejected: Array<{ line: number; reason: string }>;
  seconds: number;
  rowsPerSecond: number;
}

describe('import through COPY', () => {
  it('keeps awkward texts exactly, deduplicates in the database and keeps line order across batches', async () => {
    const awkward = [
      'back\\slash and \\N and \\x00 written out',
      'tab\there, newline\nthere, carriage\rreturn',
      'a "quoted" \'text\' with , commas; and | pipes',
      'émoji 🙂 and ünïcödé',
    ];
    const lines: string[] = [];
    for (let i = 0; i < 12_000; i++) lines.push(JSON.stringify({ text: `row ${i} of the file`, label: i % 3 ? 'a' : 'b', id: i }));
    // Duplicates within the file, one in another batch than its first occurrence.
    lines.splice(7000, 0, JSON.stringify({ text: 'row 10 of the file', label: 'a' }));
    lines.splice(20, 0, JSON.stringify({ text: 'row 5 of the file', label: 'b' }));
    awkward.forEach((text, i) => lines.splice(3000 + i, 0, JSON.stringify({ text, label: 'c', note: { nested: text } })));
    lines.splice(9000, 0, '{"text": "nul \\u0000", "label": "a"}');
    const file = path.join(dir, 'copy.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');

    const r = await runCli(['data', 'import', '--model', 'copy', '--create', '--file', file, '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.accepted).toBe(12_000 + awkward.length);
    expect(report.duplicates).toBe(2);
    expect(report.rejected).toEqual([{ line: 9001, reason: 'text contains a NUL character' }]);
    expect(report.seconds).toBeGreaterThan(0);
    expect(report.rowsPerSecond).toBeGreaterThan(0);

    const stored = await database.db.query<{ text: string; metadata: { note: { nested: string } } }>(
      `SELECT e.text, e.metadata FROM examples e JOIN models m ON m.id = e.model_id WHERE m.name = 'copy' AND e.label = 'c' ORDER BY e.id`,
    );
    expect(stored.rows.map((x) => x.text)).toEqual(awkward);
    expect(stored.rows.map((x) => x.metadata.note.nested)).toEqual(awkward);

    // Ids follow line order: row i was stored before row i + 1, across batch boundaries.
    const order = await database.db.query<{ text: string }>(
      `SELECT e.text FROM examples e JOIN models m ON m.id = e.model_id WHERE m.name = 'copy' AND e.label <> 'c' ORDER BY e.id`,
    );
    expect(order.rows.map((x) => x.text)).toEqual(Array.from({ length: 12_000 }, (_, i) => `row ${i} of the file`));

    // The same file again: every row is a duplicate of a stored one, nothing is added.
    const again = await runCli(['data', 'import', '--model', 'copy', '--file', file, '--json'], env());
    expect(again.code, again.stderr).toBe(0);
    const second = JSON.parse(again.stdout) as Report;
    expect(second.accepted).toBe(0);
    expect(second.duplicates).toBe(12_000 + awkward.length + 2);
  });

  it('prints throughput in the text report', async () => {
    const file = path.join(dir, 'small.jsonl');
    writeFileSync(file, Array.from({ length: 100 }, (_, i) => JSON.stringify({ text: `small ${i}`, label: 'a' })).join('\n'));
    const r = await runCli(['data', 'import', '--model', 'small', '--create', '--file', file], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/small: 100 accepted, 0 duplicates, 0 rejected \(100 lines read in [\d.]+ s, \d+ rows\/s\)/);
  });
});

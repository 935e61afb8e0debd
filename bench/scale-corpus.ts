/**
 * Deterministic synthetic corpora for bench/scale.ts: labelled messages recombined from real
 * SpamAssassin messages of the same label (a subject from one, runs of body lines from others),
 * seeded, so the same size and seed always give the same bytes. Written as JSONL straight to a
 * file, a few thousand lines at a time, so building a million rows needs little memory.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { loadSpamAssassin } from '../data/spam-assassin.ts';
import { Rng } from '../ml/rng.ts';

interface LabelPool {
  label: string;
  subjects: string[];
  /** Each message's body lines (non-blank, at most 200 characters, so a row stays about 1 KB). */
  bodies: string[][];
}

function pools(): LabelPool[] {
  const byLabel = new Map<string, LabelPool>();
  for (const m of loadSpamAssassin()) {
    const pool = byLabel.get(m.label) ?? { label: m.label, subjects: [], bodies: [] };
    byLabel.set(m.label, pool);
    const headerEnd = m.text.search(/\r?\n\r?\n/);
    const headers = headerEnd === -1 ? m.text : m.text.slice(0, headerEnd);
    const subject = /^Subject:[ \t]*(.*)$/im.exec(headers)?.[1]?.trim();
    if (subject) pool.subjects.push(subject);
    const body = (headerEnd === -1 ? '' : m.text.slice(headerEnd))
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.length > 0 && l.length <= 200);
    if (body.length >= 3) pool.bodies.push(body);
  }
  return [...byLabel.values()].sort((a, b) => a.label.localeCompare(b.label));
}

/** One recombined message of `pool`'s label: a subject and 2-4 runs of 2-6 consecutive body lines. */
function message(rng: Rng, pool: LabelPool): string {
  const parts = [`Subject: ${pool.subjects[rng.nextInt(pool.subjects.length)]}`, ''];
  const runs = 2 + rng.nextInt(3);
  for (let r = 0; r < runs; r++) {
    const body = pool.bodies[rng.nextInt(pool.bodies.length)];
    const length = Math.min(body.length, 2 + rng.nextInt(5));
    const start = rng.nextInt(body.length - length + 1);
    parts.push(...body.slice(start, start + length));
  }
  return parts.join('\n');
}

export interface CorpusFile {
  file: string;
  rows: number;
  bytes: number;
  labels: Record<string, number>;
}

/**
 * Writes `rows` labelled messages to `file`. Labels keep the corpus's own share (about two thirds
 * ham); ids are `synthetic-<seed>-<n>`.
 */
export async function writeCorpus(file: string, rows: number, seed: number): Promise<CorpusFile> {
  const byLabel = pools();
  const total = byLabel.reduce((n, p) => n + p.bodies.length, 0);
  const rng = new Rng(seed);
  const out = createWriteStream(file);
  const labels: Record<string, number> = {};
  let bytes = 0;
  let chunk: string[] = [];
  for (let i = 0; i < rows; i++) {
    let pick = rng.nextInt(total);
    let pool = byLabel[0];
    for (const p of byLabel) {
      if (pick < p.bodies.length) {
        pool = p;
        break;
      }
      pick -= p.bodies.length;
    }
    labels[pool.label] = (labels[pool.label] ?? 0) + 1;
    chunk.push(JSON.stringify({ text: message(rng, pool), label: pool.label, id: `synthetic-${seed}-${i}` }));
    if (chunk.length === 5000 || i === rows - 1) {
      const text = chunk.join('\n') + '\n';
      bytes += Buffer.byteLength(text);
      if (!out.write(text)) await once(out, 'drain');
      chunk = [];
    }
  }
  out.end();
  await once(out, 'finish');
  return { file, rows, bytes, labels };
}

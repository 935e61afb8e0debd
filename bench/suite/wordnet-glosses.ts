/**
 * WordNet glosses -> lexicographer file, from the Debian package wordnet-base
 * (/usr/share/wordnet/data.{noun,verb,adj,adv}): the short definition of a synset ("a domestic
 * animal kept for companionship") labelled with its semantic class (noun.animal, verb.motion, ...):
 * short texts in 45 classes. Every `keepEvery`-th synset is kept so the set stays a few tens of
 * thousands of rows.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LabelledText } from '../../ml/labelled-data.ts';
import { MissingDatasetError, type SuiteDataset } from './dataset.ts';

export const WORDNET_DIR = '/usr/share/wordnet';

/** WordNet 3.0's lexicographer files, by number (lexnames(5WN)). */
export const LEXNAMES = [
  'adj.all',
  'adj.pert',
  'adv.all',
  'noun.Tops',
  'noun.act',
  'noun.animal',
  'noun.artifact',
  'noun.attribute',
  'noun.body',
  'noun.cognition',
  'noun.communication',
  'noun.event',
  'noun.feeling',
  'noun.food',
  'noun.group',
  'noun.location',
  'noun.motive',
  'noun.object',
  'noun.person',
  'noun.phenomenon',
  'noun.plant',
  'noun.possession',
  'noun.process',
  'noun.quantity',
  'noun.relation',
  'noun.shape',
  'noun.state',
  'noun.substance',
  'noun.time',
  'verb.body',
  'verb.change',
  'verb.cognition',
  'verb.communication',
  'verb.competition',
  'verb.consumption',
  'verb.contact',
  'verb.creation',
  'verb.emotion',
  'verb.motion',
  'verb.perception',
  'verb.possession',
  'verb.social',
  'verb.stative',
  'verb.weather',
  'adj.ppl',
];

/** One data.* line -> its gloss and lexicographer file; null for the licence lines at the top. */
export function parseWordNetDataLine(line: string): LabelledText | null {
  if (line.startsWith(' ') || line.trim() === '') return null;
  const bar = line.indexOf(' | ');
  if (bar === -1) return null;
  const lexFile = Number.parseInt(line.split(' ', 3)[1], 10);
  const label = LEXNAMES[lexFile];
  const text = line.slice(bar + 3).trim();
  if (label === undefined || text === '') return null;
  return { text, label };
}

export function loadWordNetGlosses(dir = WORDNET_DIR, keepEvery = 4): LabelledText[] {
  if (!existsSync(path.join(dir, 'data.noun'))) throw new MissingDatasetError(`WordNet (${dir})`, 'apt-get install wordnet-base');
  const rows: LabelledText[] = [];
  let n = 0;
  for (const pos of ['noun', 'verb', 'adj', 'adv']) {
    for (const line of readFileSync(path.join(dir, `data.${pos}`), 'utf8').split('\n')) {
      const row = parseWordNetDataLine(line);
      if (row !== null && n++ % keepEvery === 0) rows.push(row);
    }
  }
  return rows;
}

export const wordnetGlosses: SuiteDataset = {
  name: 'wordnet-glosses',
  source: 'Debian wordnet-base: a synset gloss -> its lexicographer file (45 classes; every 4th synset)',
  load: () => loadWordNetGlosses(),
};

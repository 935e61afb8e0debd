import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdOutEveryFifth, MissingDatasetError } from '../../bench/suite/dataset.ts';
import { firstNames, labelFirstNames } from '../../bench/suite/first-names.ts';
import { loadFortunes, parseFortuneFile } from '../../bench/suite/fortunes.ts';
import { loadWordNetGlosses, parseWordNetDataLine } from '../../bench/suite/wordnet-glosses.ts';

describe('benchmark suite loaders', () => {
  it('hold out every fifth row', () => {
    const { train, test } = holdOutEveryFifth([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(test).toEqual([4, 9]);
    expect(train).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 10]);
  });

  it('label first names, leaving out names in both lists, in name order', () => {
    expect(labelFirstNames(['Anna', 'Kim', 'Zoe'], ['Bob', 'Kim'])).toEqual([
      { text: 'Anna', label: 'female' },
      { text: 'Bob', label: 'male' },
      { text: 'Zoe', label: 'female' },
    ]);
    const rows = firstNames.load();
    expect(rows.length).toBeGreaterThan(7000);
    expect(rows.slice(0, 3).every((r) => r.text.length > 0 && (r.label === 'female' || r.label === 'male'))).toBe(true);
    expect(new Set(rows.map((r) => r.text)).size).toBe(rows.length);
  });

  it('split fortune files on % lines and label entries with their category, leaving out small categories', () => {
    expect(parseFortuneFile('First one.\n%\nSecond\n  line two.\n%\n\n%\nLast\n')).toEqual(['First one.', 'Second\n  line two.', 'Last']);
    const dir = mkdtempSync(path.join(tmpdir(), 'fortunes-'));
    writeFileSync(path.join(dir, 'art'), 'a\n%\nb\n%\nc\n');
    writeFileSync(path.join(dir, 'tiny'), 'only\n');
    writeFileSync(path.join(dir, 'art.dat'), 'binary index');
    mkdirSync(path.join(dir, 'off'));
    expect(loadFortunes(dir, 2)).toEqual([
      { text: 'a', label: 'art' },
      { text: 'b', label: 'art' },
      { text: 'c', label: 'art' },
    ]);
    expect(() => loadFortunes(path.join(dir, 'missing'))).toThrow(MissingDatasetError);
  });

  it('read WordNet data lines as gloss -> lexicographer file, skipping the licence header', () => {
    const noun =
      '02084071 05 n 02 dog 0 domestic_dog 0 001 @ 02083346 n 0000 | a member of the genus Canis; "the dog barked all night"  \n';
    const verb = '01835496 38 v 01 travel 0 000 01 + 02 00 | change location; move, travel, or proceed  \n';
    expect(parseWordNetDataLine('  1 This software and database is being provided')).toBeNull();
    expect(parseWordNetDataLine(noun.trimEnd())).toEqual({
      text: 'a member of the genus Canis; "the dog barked all night"',
      label: 'noun.animal',
    });
    expect(parseWordNetDataLine(verb.trimEnd())).toEqual({ text: 'change location; move, travel, or proceed', label: 'verb.motion' });
    const dir = mkdtempSync(path.join(tmpdir(), 'wordnet-'));
    writeFileSync(path.join(dir, 'data.noun'), '  1 licence\n' + noun + noun);
    writeFileSync(path.join(dir, 'data.verb'), verb);
    writeFileSync(path.join(dir, 'data.adj'), '');
    writeFileSync(path.join(dir, 'data.adv'), '');
    expect(loadWordNetGlosses(dir, 2).map((r) => r.label)).toEqual(['noun.animal', 'verb.motion']);
    expect(() => loadWordNetGlosses(path.join(dir, 'missing'))).toThrow(/apt-get install wordnet-base/);
  });
});

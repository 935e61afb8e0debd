import { describe, expect, it } from 'vitest';
import { parseJsonl } from '../../data/jsonl.ts';
import { compareProfiles, jensenShannon, profileDataset, psi } from '../../ml/drift.ts';

describe('JSONL parsing', () => {
  it('keeps good rows and reports each bad line with its reason', () => {
    const lines = [
      '{"text": "good one", "label": "spam", "id": 7, "ts": "2024-01-02T03:04:05Z", "source_url": "x"}',
      'not json',
      '{"text": "", "label": "ham"}',
      '{"text": "no label"}',
      '{"text": 5, "label": "ham"}',
      '[1, 2]',
      '',
      '{"text": "nul \\u0000 inside", "label": "ham"}',
      '{"text": "good two", "label": "ham"}',
    ];
    const bytes = Buffer.concat([
      Buffer.from(lines.join('\n') + '\n'),
      Buffer.from([0xff, 0xfe, 0x0a]),
      Buffer.from('{"text":"tail","label":"ham"}'),
    ]);
    const { rows, rejected } = parseJsonl(bytes);
    expect(rows.map((r) => r.text)).toEqual(['good one', 'good two', 'tail']);
    expect(rows[0]).toMatchObject({ externalId: '7', ts: '2024-01-02T03:04:05.000Z', metadata: { source_url: 'x' } });
    expect(rejected).toEqual([
      { line: 2, reason: expect.stringMatching(/^bad JSON/) },
      { line: 3, reason: 'empty text' },
      { line: 4, reason: 'missing label' },
      { line: 5, reason: 'text is not a string' },
      { line: 6, reason: 'not a JSON object' },
      { line: 8, reason: 'text contains a NUL character' },
      { line: 10, reason: 'invalid UTF-8' },
    ]);
  });
});

describe('drift', () => {
  it('is zero between identical datasets and grows with a shift', () => {
    const a = [
      { text: 'cheap pills now', label: 'spam' },
      { text: 'meeting at noon', label: 'ham' },
    ];
    const same = compareProfiles(profileDataset(a), profileDataset(a));
    expect(same).toMatchObject({ labelLInf: 0, tokenJensenShannon: 0, unseenBucketShare: 0 });
    expect(same.labelPsi).toBeCloseTo(0, 12);
    const b = [
      { text: 'zebra quantum xylophone', label: 'spam' },
      { text: 'cheap pills', label: 'spam' },
    ];
    const shifted = compareProfiles(profileDataset(a), profileDataset(b));
    expect(shifted.labelLInf).toBeCloseTo(0.5, 12);
    expect(shifted.labelPsi).toBeGreaterThan(0.1);
    expect(shifted.tokenJensenShannon).toBeGreaterThan(0.2);
    expect(shifted.unseenBucketShare).toBeGreaterThan(0);
    expect(shifted.rows).toEqual({ previous: 2, current: 2 });
  });

  it('PSI and Jensen-Shannon match hand-computed values', () => {
    expect(psi([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(0.25 * Math.log(0.5) * -1 + 0.25 * Math.log(1.5), 12);
    expect(jensenShannon([1, 0], [0, 1])).toBeCloseTo(1, 12);
  });
});

/** Live metrics are the offline metrics on (predicted, true) counts; request bodies to texts. */
import { describe, expect, it } from 'vitest';
import { liveScores, windowStart } from '../../ml/live-windows.ts';
import { classificationMetrics } from '../../ml/metrics.ts';
import { BadInput, mlflowTexts, v2Texts } from '../../serve/inputs.ts';
import { isLoopback, resolveServeOptions, ServeOptionsError } from '../../serve/options.ts';

describe('liveScores', () => {
  it('equals classificationMetrics on the expanded pairs, worked by hand', () => {
    const s = liveScores([
      { predicted: 'spam', actual: 'spam', count: 3 },
      { predicted: 'spam', actual: 'ham', count: 1 },
      { predicted: 'ham', actual: 'ham', count: 4 },
      { predicted: 'ham', actual: 'spam', count: 2 },
      { predicted: 'ham', actual: null, count: 5 },
    ]);
    expect(s.predictions).toBe(15);
    expect(s.labelled).toBe(10);
    expect(s.accuracy).toBeCloseTo(7 / 10, 12);
    // spam: precision 3/4, recall 3/5; ham: precision 4/6, recall 4/5.
    expect(s.precision).toBeCloseTo((3 / 4 + 4 / 6) / 2, 12);
    expect(s.recall).toBeCloseTo((3 / 5 + 4 / 5) / 2, 12);
    expect(s.labelDistribution).toEqual({ spam: 4, ham: 11 });
    expect(s.confusionMatrix).toEqual({
      labels: ['ham', 'spam'],
      matrix: [
        [4, 1],
        [2, 3],
      ],
    });
    // The same pairs through the offline function (ham = 0, spam = 1).
    const yTrue = [1, 1, 1, 0, 0, 0, 0, 0, 1, 1];
    const yPred = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
    const offline = classificationMetrics(yTrue, yPred, ['ham', 'spam']);
    expect(s.f1).toBeCloseTo(offline.f1, 12);
    expect(s.perClass).toEqual(offline.perClass);
  });

  it('has no scores before any feedback', () => {
    expect(liveScores([{ predicted: 'a', actual: null, count: 2 }])).toMatchObject({
      predictions: 2,
      labelled: 0,
      accuracy: null,
      f1: null,
    });
  });

  it('windows are fixed', () => {
    expect(windowStart(Date.UTC(2026, 0, 1, 10, 59, 59), 3_600_000)).toBe(Date.UTC(2026, 0, 1, 10));
    expect(() => windowStart(1, 0)).toThrow(/positive/);
  });
});

describe('request bodies', () => {
  it('MLflow forms give the same texts', () => {
    const t = ['a', 'b'];
    for (const body of [
      { inputs: t },
      { inputs: { text: t } },
      { instances: t.map((text) => ({ text })) },
      { instances: t.map((text) => [text]) },
      { dataframe_split: { columns: ['text'], data: t.map((x) => [x]) } },
      { dataframe_records: t.map((text) => ({ text })) },
    ]) {
      expect(mlflowTexts(body)).toEqual(t);
    }
    expect(() => mlflowTexts({})).toThrow(BadInput);
    expect(() => mlflowTexts({ inputs: [1] })).toThrow(/inputs\[0\] must be a string/);
  });

  it('v2: BYTES text of shape [N] or [N, 1]', () => {
    expect(v2Texts({ inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: ['a', 'b'] }] })).toEqual(['a', 'b']);
    expect(v2Texts({ inputs: [{ name: 'text', shape: [2, 1], datatype: 'BYTES', data: [['a'], ['b']] }] })).toEqual(['a', 'b']);
    expect(() => v2Texts({ inputs: [{ name: 'text', shape: [3], datatype: 'BYTES', data: ['a'] }] })).toThrow(/shape \[3\] but 1/);
  });

  it('v2: ragged data is refused, not flattened into another count', () => {
    const ragged: unknown[][] = [
      [['a', 'b'], ['c']],
      [['a'], 'b', ['c']],
      [[['a']], ['b'], ['c']],
      [['a'], []],
    ];
    for (const data of ragged) {
      for (const shape of [[3], [3, 1], [2], [2, 1]])
        expect(() => v2Texts({ inputs: [{ name: 'text', shape, datatype: 'BYTES', data }] }), JSON.stringify({ shape, data })).toThrow(
          /input "text" data is ragged: element \d+ is/,
        );
    }
  });
});

describe('serve options', () => {
  it('loopback only without a token', () => {
    expect(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(() => resolveServeOptions({ host: '0.0.0.0' })).toThrow(ServeOptionsError);
    expect(resolveServeOptions({ host: '0.0.0.0', token: 'x'.repeat(16) }).host).toBe('0.0.0.0');
    expect(resolveServeOptions({ host: undefined }).host).toBe('127.0.0.1');
    expect(() => resolveServeOptions({ requireTokenForPredictions: true })).toThrow(/needs NIGHTSHIFT_SERVE_TOKEN/);
  });
});

import { describe, expect, it } from 'vitest';
import {
  checkPolicy,
  checkStoredPolicy,
  compareModels,
  DEFAULT_MIN_EVALUATION_ROWS,
  defaultComparisonPolicy,
  type ComparisonPolicy,
  type ModelEvidence,
} from '../../ml/compare.ts';
import { binomialHalfCdf, mcnemarExact } from '../../ml/mcnemar.ts';
import { MlError } from '../../ml/errors.ts';

const policy: ComparisonPolicy = {
  absolute: [
    { metric: 'accuracy', min: 0.8 },
    { metric: 'logLoss', max: 0.5 },
  ],
  change: [
    { metric: 'f1', minImprovement: 0.01, minRelativeImprovement: 0.02 },
    { metric: 'logLoss', minImprovement: 0 },
  ],
  directions: { logLoss: 'lower' },
};
const ev = (metrics: Record<string, number | undefined>, version: number | null = 2, correct?: boolean[]): ModelEvidence => ({
  version,
  metrics,
  ...(correct ? { correct } : {}),
});

describe('the judge', () => {
  it('first run: promotes on absolute thresholds alone and says so', () => {
    const d = compareModels(ev({ accuracy: 0.9, logLoss: 0.3, f1: 0.5 }), null, policy);
    expect(d.decision).toBe('PROMOTE');
    expect(d.firstRun).toBe(true);
    expect(d.reason).toMatch(/^first run: no champion/);
    expect(d.checks.filter((c) => c.skipped).map((c) => c.kind)).toEqual(['improvement', 'relative-improvement', 'improvement']);
  });

  it('first run: rejects when an absolute bound fails, bounds inclusive', () => {
    expect(compareModels(ev({ accuracy: 0.8, logLoss: 0.5 }), null, policy).decision).toBe('PROMOTE');
    const d = compareModels(ev({ accuracy: 0.79, logLoss: 0.5 }), null, policy);
    expect(d.decision).toBe('REJECT');
    const failed = d.checks.find((c) => !c.pass)!;
    expect(failed).toMatchObject({ kind: 'absolute-min', metric: 'accuracy', value: 0.79, threshold: 0.8, pass: false });
    expect(d.reason).toMatch(/failed 1 of/);
  });

  it('records value, baseline, difference and threshold for change checks', () => {
    const d = compareModels(ev({ accuracy: 0.9, logLoss: 0.2, f1: 0.9 }), ev({ accuracy: 0.85, logLoss: 0.25, f1: 0.85 }, 1), policy);
    expect(d.decision).toBe('PROMOTE');
    const f1 = d.checks.find((c) => c.metric === 'f1' && c.kind === 'improvement')!;
    expect(f1.value).toBe(0.9);
    expect(f1.baseline).toBe(0.85);
    expect(f1.difference).toBeCloseTo(0.05, 12);
    const rel = d.checks.find((c) => c.kind === 'relative-improvement')!;
    expect(rel.difference).toBeCloseTo(0.05 / 0.85, 12);
    const ll = d.checks.find((c) => c.metric === 'logLoss' && c.kind === 'improvement')!;
    expect(ll.difference).toBeCloseTo(0.05, 12); // lower is better: baseline - value
  });

  it('rejects a candidate that regresses a lower-is-better metric', () => {
    const d = compareModels(ev({ accuracy: 0.9, logLoss: 0.3, f1: 0.95 }), ev({ accuracy: 0.9, logLoss: 0.2, f1: 0.9 }, 1), policy);
    expect(d.decision).toBe('REJECT');
    expect(d.checks.find((c) => c.metric === 'logLoss' && c.kind === 'improvement')!.pass).toBe(false);
  });

  it('zero baseline: relative change is +Infinity, 0 or -Infinity by the sign of the improvement', () => {
    const p: ComparisonPolicy = { absolute: [], change: [{ metric: 'f1', minRelativeImprovement: 0.5 }] };
    const up = compareModels(ev({ f1: 0.1 }), ev({ f1: 0 }, 1), p);
    expect(up.decision).toBe('PROMOTE');
    const rel = (d: typeof up) => d.checks.find((c) => c.kind === 'relative-improvement')!;
    expect(rel(up).note).toMatch(/baseline is 0: relative change taken as \+Infinity/);
    const flat = compareModels(ev({ f1: 0 }), ev({ f1: 0 }, 1), p);
    expect(flat.decision).toBe('REJECT');
    expect(rel(flat).note).toMatch(/taken as 0/);
  });

  it('a missing metric fails its check', () => {
    const d = compareModels(ev({ logLoss: 0.1, f1: 0.9 }), null, policy);
    expect(d.decision).toBe('REJECT');
    expect(d.checks.find((c) => c.metric === 'accuracy')).toMatchObject({ pass: false, value: null, note: 'missing metric fails' });
    const c = compareModels(ev({ accuracy: 0.9, logLoss: 0.1, f1: 0.9 }), ev({ accuracy: 0.9, logLoss: 0.2 }, 1), policy);
    expect(c.checks.find((x) => x.metric === 'f1' && x.kind === 'improvement')).toMatchObject({
      pass: false,
      note: 'missing metric fails (champion)',
    });
  });

  it('significance: promotes only when McNemar says the candidate is better at alpha', () => {
    const p: ComparisonPolicy = { absolute: [], change: [], significance: { alpha: 0.05 } };
    const champion = Array.from({ length: 100 }, (_, i) => i < 80);
    const better = Array.from({ length: 100 }, (_, i) => i < 80 || i >= 88); // 12 fixed, none broken
    const noisy = Array.from({ length: 100 }, (_, i) => i < 78 || (i >= 80 && i < 84)); // 4 fixed, 2 broken
    const sig = compareModels(ev({}, 2, better), ev({}, 1, champion), p);
    expect(sig.decision).toBe('PROMOTE');
    expect(sig.mcnemar).toMatchObject({ candidateOnly: 12, championOnly: 0 });
    expect(sig.mcnemar!.pValueCandidateBetter).toBeCloseTo(Math.pow(0.5, 12), 15);
    const noise = compareModels(ev({}, 2, noisy), ev({}, 1, champion), p);
    expect(noise.decision).toBe('REJECT');
    expect(noise.mcnemar!.pValueCandidateBetter).toBeCloseTo(binomialHalfCdf(2, 6), 12); // P(X >= 4 | 6) = P(X <= 2)
    const missing = compareModels(ev({}, 2), ev({}, 1), p);
    expect(missing.checks.find((c) => c.kind === 'significance')).toMatchObject({
      pass: false,
      note: expect.stringMatching(/paired predictions missing/),
    });
  });

  it('never promotes a candidate identical to the champion: same bytes, or the same rows right with the same metrics', () => {
    const p: ComparisonPolicy = { absolute: [], change: [] };
    const rows = [true, false, true, true];
    const same = compareModels(
      { ...ev({ f1: 0.9 }, 2, rows), sha256: 'ab'.repeat(32) },
      { ...ev({ f1: 0.8 }, 1, rows), sha256: 'ab'.repeat(32) },
      p,
    );
    expect(same.decision).toBe('REJECT');
    expect(same.checks.find((c) => c.kind === 'differs')).toMatchObject({
      pass: false,
      note: expect.stringMatching(/byte-identical to champion v1/),
    });
    const equal = compareModels(
      { ...ev({ f1: 0.9 }, 2, rows), sha256: 'cd'.repeat(32) },
      { ...ev({ f1: 0.9 }, 1, [...rows]), sha256: 'ef'.repeat(32) },
      p,
    );
    expect(equal.decision).toBe('REJECT');
    expect(equal.reason).toMatch(/equals champion v1 on all 4 evaluation rows/);
    const differs = compareModels(
      { ...ev({ f1: 0.9 }, 2, [true, true, true, true]), sha256: 'cd'.repeat(32) },
      { ...ev({ f1: 0.9 }, 1, rows), sha256: 'ef'.repeat(32) },
      p,
    );
    expect(differs.decision).toBe('PROMOTE');
  });

  it('the default policy asks for a real improvement: a tie in F1 is rejected', () => {
    const champion = ev({ accuracy: 0.95, f1: 0.94 }, 1, [true, true, false]);
    const tie = compareModels(ev({ accuracy: 0.96, f1: 0.94 }, 2, [true, true, true]), champion);
    expect(tie.decision).toBe('REJECT');
    expect(tie.checks.find((c) => c.kind === 'improvement' && c.metric === 'f1')).toMatchObject({ pass: false, threshold: 0.001 });
    // The reason gives the improvement itself (the difference), not the candidate's value.
    expect(tie.reason).toContain('f1 improvement 0 vs threshold 0.0010 (candidate 0.9400, champion 0.9400)');
    const worse = compareModels(ev({ accuracy: 0.96, f1: 0.93 }, 2, [true, true, true]), champion);
    expect(worse.reason).toContain('f1 improvement -0.0100 vs threshold 0.0010 (candidate 0.9300, champion 0.9400)');
    expect(compareModels(ev({ accuracy: 0.96, f1: 0.95 }, 2, [true, true, true]), champion).decision).toBe('PROMOTE');
  });

  it('gates on drift when the policy says so, and reads the drift in plain words either way', () => {
    const drift = {
      rows: { previous: 100, current: 50 },
      labelLInf: 0.05,
      labelPsi: 0.3,
      tokenJensenShannon: 0.2,
      unseenBucketShare: 0.01,
    };
    const p: ComparisonPolicy = { absolute: [], change: [], drift: { maxTokenJensenShannon: 0.1 } };
    const gated = compareModels(ev({}, 2), null, p, { drift });
    expect(gated.decision).toBe('REJECT');
    expect(gated.checks).toEqual([
      expect.objectContaining({ kind: 'drift-max', metric: 'tokenJensenShannon', value: 0.2, threshold: 0.1, pass: false }),
    ]);
    expect(gated.drift!.reading).toMatch(/tokens: large shift \(JS 0\.200\); labels: large shift \(PSI 0\.300\); unseen tokens 1\.0%/);
    expect(gated.drift!.level).toBe('large');
    const ungated = compareModels(
      ev({}, 2),
      null,
      { absolute: [], change: [] },
      { drift: { ...drift, tokenJensenShannon: 0.01, labelPsi: 0.01 } },
    );
    expect(ungated.decision).toBe('PROMOTE');
    expect(ungated.drift).toMatchObject({ level: 'none', reading: expect.stringMatching(/^tokens: stable/) });
    const first = compareModels(ev({}, 2), null, p, { drift: null });
    expect(first.checks[0]).toMatchObject({ skipped: true, pass: true });
    expect(() => compareModels(ev({}), null, { absolute: [], change: [], drift: { maxTokens: 1 } as never })).toThrow(
      /unknown drift limit "maxTokens"/,
    );
  });

  it('refuses a malformed policy', () => {
    expect(() => compareModels(ev({}), null, { absolute: [{ metric: 'f1' }], change: [] })).toThrow(MlError);
    expect(() => compareModels(ev({}), null, { absolute: [], change: [], significance: { alpha: 2 } })).toThrow(/alpha must be in/);
  });
});

describe('McNemar exact', () => {
  it('counts discordant pairs and gives exact binomial p-values', () => {
    const r = mcnemarExact([true, true, false, false, true], [true, false, true, true, true]);
    expect(r).toMatchObject({ championOnly: 1, candidateOnly: 2 });
    // n = 3, c = 2: P(X >= 2) = (3 + 1) / 8; two-sided: 2 * P(X <= 1) = 2 * 4/8 = 1.
    expect(r.pValueCandidateBetter).toBeCloseTo(0.5, 15);
    expect(r.pValueTwoSided).toBe(1);
    expect(mcnemarExact([true], [true]).pValueCandidateBetter).toBe(1);
  });

  it('binomial CDF matches known values', () => {
    expect(binomialHalfCdf(0, 10)).toBeCloseTo(1 / 1024, 15);
    expect(binomialHalfCdf(5, 10)).toBeCloseTo(638 / 1024, 12);
    expect(binomialHalfCdf(10, 10)).toBe(1);
  });
});

describe('enough evidence', () => {
  const evidence = (version: number, accuracy: number, examples: number) => ({
    version,
    metrics: { examples, accuracy, f1: accuracy },
    sha256: `sha-${version}`,
  });
  it('rejects a decision on fewer held-out rows than the policy asks for (default 30), saying so, whatever the metrics', () => {
    const d = compareModels(evidence(2, 1, 4), evidence(1, 0, 4));
    expect(d.decision).toBe('REJECT');
    expect(d.checks[0]).toMatchObject({ kind: 'min-rows', value: 4, threshold: DEFAULT_MIN_EVALUATION_ROWS, pass: false });
    expect(d.reason).toMatch(/too few evaluation rows to decide: 4 held-out rows, the policy needs at least 30/);
    expect(compareModels(evidence(2, 1, 30), evidence(1, 0, 30)).decision).toBe('PROMOTE');
    // A stored policy without the field gets the default; one that names it, its own.
    const { minEvaluationRows: _, ...older } = defaultComparisonPolicy;
    expect(compareModels(evidence(2, 1, 29), evidence(1, 0, 29), older).decision).toBe('REJECT');
    expect(compareModels(evidence(2, 1, 4), evidence(1, 0, 4), { ...defaultComparisonPolicy, minEvaluationRows: 4 }).decision).toBe(
      'PROMOTE',
    );
  });
  it('refuses a policy whose minimum is not a whole number >= 1, or whose accuracy bound is not a fraction', () => {
    expect(() => checkPolicy({ ...defaultComparisonPolicy, minEvaluationRows: 0 })).toThrow(/minEvaluationRows must be an integer >= 1/);
    expect(() => checkStoredPolicy({ ...defaultComparisonPolicy, absolute: [{ metric: 'accuracy', min: 2 }] })).toThrow(
      /absolute min of accuracy must be in \[0, 1\], got 2/,
    );
  });
});

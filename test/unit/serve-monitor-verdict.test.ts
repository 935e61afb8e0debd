/**
 * The dashboard's one word for a model's last evaluation: `not-judged` when the monitor judged
 * neither live accuracy nor drift, even with a drift reading taken on too few served texts.
 * The `live` documents are built as the monitor records them (assessLiveModel, then recordMonitorEvent's shape).
 */
import { describe, expect, it } from 'vitest';
import { assessLiveModel, defaultMonitorPolicy, type LiveEvidence } from '../../ml/monitor-policy.ts';
import { monitorJudged } from '../../views/overview.ts';

const evidence: LiveEvidence = {
  version: 3,
  predictions: 500,
  labelled: 200,
  accuracy: 0.95,
  f1: 0.94,
  offlineAccuracy: 0.96,
  served: 500,
  drift: { tokenJensenShannon: 0.02, unseenBucketShare: 0.01, predictionPsi: 0.02 },
};

/** The `live` document recordMonitorEvent stores for this evidence. */
const recorded = (e: LiveEvidence) => ({
  ...e,
  windowStart: '2026-01-01T00:00:00.000Z',
  policySource: 'default',
  notJudged: assessLiveModel(e, defaultMonitorPolicy).notJudged,
});

describe('monitorJudged', () => {
  it('a drift reading on too few served texts, with no live accuracy, is not judged', () => {
    const live = recorded({ ...evidence, labelled: 0, accuracy: null, f1: null, served: 3 });
    expect(live.drift).not.toBeNull();
    expect(monitorJudged(live)).toBe(false);
  });

  it('either check judged is a judgement', () => {
    expect(monitorJudged(recorded(evidence))).toBe(true);
    expect(monitorJudged(recorded({ ...evidence, labelled: 0, accuracy: null, f1: null }))).toBe(true);
    expect(monitorJudged(recorded({ ...evidence, served: 0, drift: null }))).toBe(true);
  });

  it('nothing in production, or neither check, is not judged', () => {
    expect(monitorJudged(recorded({ ...evidence, version: null }))).toBe(false);
    expect(monitorJudged(recorded({ ...evidence, labelled: 2, served: 0, drift: null }))).toBe(false);
  });

  it('an evaluation recorded without notJudged counts a live accuracy or a drift reading', () => {
    expect(monitorJudged({ accuracy: 0.9, drift: null })).toBe(true);
    expect(monitorJudged({ accuracy: null, drift: null })).toBe(false);
  });
});

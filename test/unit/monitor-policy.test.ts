import { describe, expect, it } from 'vitest';
import { assessLiveModel, checkMonitorPolicy, defaultMonitorPolicy, type LiveEvidence } from '../../ml/monitor-policy.ts';
import { isDuration } from '../../stack/durations.ts';

const healthy: LiveEvidence = {
  version: 3,
  predictions: 500,
  labelled: 200,
  accuracy: 0.95,
  f1: 0.94,
  offlineAccuracy: 0.96,
  served: 500,
  drift: { tokenJensenShannon: 0.02, unseenBucketShare: 0.01, predictionPsi: 0.02 },
};

describe('the monitor policy', () => {
  it('is healthy within every threshold', () => {
    const a = assessLiveModel(healthy, defaultMonitorPolicy);
    expect(a).toMatchObject({ trigger: null, breaches: [] });
    expect(a.reason).toBe('healthy: live accuracy 0.9500 on 200 labelled, token drift 0.0200');
  });

  it('calls decay on low accuracy or a drop from offline, and decay outranks drift', () => {
    const low = assessLiveModel({ ...healthy, accuracy: 0.7 }, defaultMonitorPolicy);
    expect(low.trigger).toBe('decay');
    expect(low.breaches.map((b) => b.kind)).toEqual(['min-accuracy', 'max-accuracy-drop']);
    expect(low.reason).toMatch(
      /^decay: live accuracy 0\.7000 < 0\.8 on 200 labelled predictions; live accuracy 0\.7000 is 0\.2600 below v3's offline 0\.9600/,
    );
    const drop = assessLiveModel({ ...healthy, accuracy: 0.9 }, defaultMonitorPolicy);
    expect(drop.breaches).toEqual([
      expect.objectContaining({ kind: 'max-accuracy-drop', value: expect.closeTo(0.06, 10), threshold: 0.05 }),
    ]);
    const both = assessLiveModel(
      { ...healthy, accuracy: 0.7, drift: { ...healthy.drift!, tokenJensenShannon: 0.5 } },
      defaultMonitorPolicy,
    );
    expect(both.trigger).toBe('decay');
    expect(both.breaches.map((b) => b.trigger)).toContain('drift');
  });

  it('calls drift on input or prediction drift alone', () => {
    const input = assessLiveModel({ ...healthy, drift: { ...healthy.drift!, tokenJensenShannon: 0.2 } }, defaultMonitorPolicy);
    expect(input).toMatchObject({
      trigger: 'drift',
      breaches: [expect.objectContaining({ kind: 'max-drift', value: 0.2, threshold: 0.15 })],
    });
    const predicted = assessLiveModel({ ...healthy, drift: { ...healthy.drift!, predictionPsi: 0.4 } }, defaultMonitorPolicy);
    expect(predicted.breaches.map((b) => b.kind)).toEqual(['max-prediction-drift']);
  });

  it('judges nothing it has too little evidence for, and says so', () => {
    const few = assessLiveModel({ ...healthy, labelled: 10, accuracy: 0.1, served: 20 }, defaultMonitorPolicy);
    expect(few.trigger).toBeNull();
    expect(few.notJudged).toEqual([
      'accuracy: 10 labelled predictions in the window, at least 50 needed',
      'drift: 20 served texts with text logged in the window, at least 100 needed',
    ]);
    expect(assessLiveModel({ ...healthy, version: null }, defaultMonitorPolicy).reason).toBe('no production version to monitor');
  });

  it('refuses a malformed policy with the field named', () => {
    expect(() => checkMonitorPolicy({ ...defaultMonitorPolicy, minAccuracy: 1.5 }, isDuration)).toThrow(/minAccuracy must be in \[0, 1\]/);
    expect(() => checkMonitorPolicy({ ...defaultMonitorPolicy, minLabelled: 0 }, isDuration)).toThrow(
      /minLabelled must be an integer >= 1/,
    );
    expect(() => checkMonitorPolicy({ ...defaultMonitorPolicy, every: 'soon' }, isDuration)).toThrow(/every must be a duration/);
    expect(() => checkMonitorPolicy(defaultMonitorPolicy, isDuration)).not.toThrow();
  });
});

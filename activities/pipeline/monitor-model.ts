/**
 * The monitor's activities: gather the evidence about a model's production version (live scores
 * from feedback in the policy's window, served inputs against its training data, its offline
 * accuracy), judge it with the pure monitor policy, and record what the monitor did.
 */
import { msToNumber } from '@temporalio/common';
import { isDuration } from '../../stack/durations.ts';
import { assessLiveModel, resolveMonitorPolicy, type Assessment, type LiveEvidence, type MonitorPolicy } from '../../ml/monitor-policy.ts';
import { compareProfiles, profileDataset } from '../../ml/drift.ts';
import { getModel } from '../../registry/models.ts';
import type { Db } from '../../registry/pool.ts';
import {
  currentMonitorPolicy,
  lastMonitorStart,
  liveScoresSince,
  productionFacts,
  recordMonitorEvent as insertMonitorEvent,
  servedTexts,
} from '../../registry/monitoring.ts';
import type { RunRef } from './types.ts';

/** How many of the most recent served texts the drift profile reads, and at most how many bytes of text. */
const SERVED_SAMPLE = 5000;
const SERVED_SAMPLE_BYTES = 16 * 1024 * 1024;

export interface AssessModelInput {
  model: string;
  /** ISO time the evaluation is for (the workflow's time, so a replay sees the same). */
  at: string;
}

export interface ModelAssessment {
  model: string;
  modelId: number;
  policy: MonitorPolicy;
  policySource: string;
  evidence: LiveEvidence;
  assessment: Assessment;
  /** Until when the cooldown after the monitor's last started run holds; null: none. */
  cooldownUntil: string | null;
  windowStart: string;
}

export async function assessModel(db: Db, input: AssessModelInput): Promise<ModelAssessment> {
  const model = await getModel(db, input.model);
  const { policy, source } = resolveMonitorPolicy(await currentMonitorPolicy(db, model.id), isDuration);
  const now = new Date(input.at);
  const since = new Date(now.getTime() - msToNumber(policy.window));
  const facts = await productionFacts(db, model.id);
  let evidence: LiveEvidence = {
    version: null,
    predictions: 0,
    labelled: 0,
    accuracy: null,
    f1: null,
    offlineAccuracy: null,
    served: 0,
    drift: null,
  };
  if (facts) {
    const live = await liveScoresSince(db, model.id, facts.versionId, since);
    const served = await servedTexts(db, model.id, facts.versionId, since, SERVED_SAMPLE, SERVED_SAMPLE_BYTES);
    let drift: LiveEvidence['drift'] = null;
    if (facts.trainingProfile && served.length > 0) {
      // Served texts labelled with what the model predicted: the label part is prediction drift.
      const report = compareProfiles(facts.trainingProfile, profileDataset(served));
      drift = {
        tokenJensenShannon: report.tokenJensenShannon,
        unseenBucketShare: report.unseenBucketShare,
        predictionPsi: report.labelPsi,
      };
    }
    evidence = {
      version: facts.version,
      predictions: live.predictions,
      labelled: live.labelled,
      accuracy: live.accuracy,
      f1: live.f1,
      offlineAccuracy: facts.offlineAccuracy,
      served: served.length,
      drift,
    };
  }
  const last = await lastMonitorStart(db, model.id);
  const cooldownEnd = last ? new Date(last.getTime() + msToNumber(policy.cooldown)) : null;
  return {
    model: model.name,
    modelId: model.id,
    policy,
    policySource: source,
    evidence,
    assessment: assessLiveModel(evidence, policy),
    cooldownUntil: cooldownEnd && cooldownEnd > now ? cooldownEnd.toISOString() : null,
    windowStart: since.toISOString(),
  };
}

export type MonitorAction = 'none' | 'retrain-started' | 'cooldown' | 'run-in-progress' | 'retrain-disabled' | 'no-production';

export interface RecordMonitorEventInput {
  modelId: number;
  assessment: ModelAssessment;
  action: MonitorAction;
  retrainWorkflowId: string | null;
}

export async function recordMonitorEvent(db: Db, run: RunRef, input: RecordMonitorEventInput): Promise<void> {
  const a = input.assessment;
  await insertMonitorEvent(db, {
    modelId: input.modelId,
    workflowId: run.workflowId,
    runId: run.runId,
    version: a.evidence.version,
    live: { ...a.evidence, windowStart: a.windowStart, policySource: a.policySource, notJudged: a.assessment.notJudged },
    breaches: a.assessment.breaches,
    trigger: a.assessment.trigger,
    action: input.action,
    reason: a.assessment.reason,
    retrainWorkflowId: input.retrainWorkflowId,
  });
}

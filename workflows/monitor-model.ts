/**
 * monitorModel: one evaluation of a served model, run by its schedule (`monitor-<model>`). It
 * gathers the live evidence, lets the policy judge it, and on decay or drift starts one
 * retraining run (trigger decay or drift, with the numbers as its reason), unless a run of the
 * model is going or the cooldown after the monitor's last run holds. Every evaluation is recorded
 * as a monitor event; a breach is announced to the webhooks.
 */
import {
  ParentClosePolicy,
  proxyActivities,
  setCurrentDetails,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { Activities } from '../activities/index.ts';
import type { MonitorAction } from '../activities/pipeline/monitor-model.ts';
import { ModelNameKey, OutcomeKey, type MonitorInput, type MonitorResult } from './definitions.ts';
import { retrainModel } from './retrain-model.ts';
import { announce } from './announce.ts';
import { databaseStepRetry } from './retry-policies.ts';

const activities = (startToCloseTimeout: Duration = '1 minute') =>
  proxyActivities<Activities>({
    startToCloseTimeout,
    // An evaluation that cannot finish gives way to the next one the schedule starts.
    retry: { ...databaseStepRetry, maximumAttempts: 10 },
  });

/** `retrain-<model>-<trigger>-2026-11-29T02-00-00Z`: says what started it and when. */
function monitorRunId(model: string, trigger: string, at: Date): string {
  return `retrain-${model}-${trigger}-${at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-')}`;
}

export async function monitorModel(input: MonitorInput): Promise<MonitorResult> {
  const { model } = input;
  const info = workflowInfo();
  upsertSearchAttributes([{ key: ModelNameKey, value: model }]);
  const a = await activities().assessModel.executeWithOptions({ summary: `Assess live ${model}` }, [
    { model, at: new Date().toISOString() },
  ]);
  const { trigger, reason } = a.assessment;
  let action: MonitorAction = 'none';
  let retrainWorkflowId: string | null = null;
  if (a.evidence.version === null) action = 'no-production';
  else if (trigger) {
    if (!a.policy.retrain) action = 'retrain-disabled';
    else if (a.cooldownUntil) action = 'cooldown';
    else if (await activities().runSlotHolder({ model })) action = 'run-in-progress';
    else {
      const id = monitorRunId(model, trigger, new Date());
      // Abandoned: the run outlives this evaluation; one run per model is still its run slot's job.
      await startChild(retrainModel, {
        workflowId: id,
        args: [{ model, trigger, reason }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        memo: { trigger },
        typedSearchAttributes: [{ key: ModelNameKey, value: model }],
        staticSummary: `Retrain ${model} (${trigger}, started by the monitor)`,
        staticDetails: `Started by ${info.workflowId}: ${reason}`,
      });
      action = 'retrain-started';
      retrainWorkflowId = id;
    }
  }
  await activities().recordMonitorEvent.executeWithOptions({ summary: `Record the evaluation (${action})` }, [
    { modelId: a.modelId, assessment: a, action, retrainWorkflowId },
  ]);
  if (trigger) {
    const what =
      action === 'retrain-started'
        ? `started ${retrainWorkflowId}`
        : action === 'cooldown'
          ? `no run started: cooldown until ${a.cooldownUntil}`
          : action === 'run-in-progress'
            ? 'no run started: a run of the model is in progress'
            : 'no run started: the policy does not retrain';
    await announce({
      event: trigger,
      model,
      summary: `${reason}; ${what}`,
      workflowId: info.workflowId,
      runId: info.runId,
      details: { evidence: a.evidence, breaches: a.assessment.breaches, action },
    });
  }
  upsertSearchAttributes([{ key: OutcomeKey, value: trigger ? `${trigger.toUpperCase()}:${action}` : 'HEALTHY' }]);
  setCurrentDetails(
    [
      `### ${model}: ${trigger ?? 'healthy'} (${action})`,
      '',
      reason,
      ...(retrainWorkflowId ? ['', `Started ${retrainWorkflowId}.`] : []),
      '',
      `Policy: ${a.policySource}.`,
    ].join('\n'),
  );
  return { model, version: a.evidence.version, trigger, action, reason, retrainWorkflowId };
}

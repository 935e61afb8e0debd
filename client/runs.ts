/** Starting retraining runs from a client: meaningful ids (model and time), search attributes. */
import { Client, Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { ModelNameKey, type RetrainInput, type RunResult } from '../workflows/definitions.ts';
import type { TemporalTarget } from './stack/stack.ts';

export function runWorkflowId(model: string, at: Date = new Date()): string {
  return `retrain-${model}-${at.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}`;
}

export async function connectClient(target: TemporalTarget): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: target.address, connectTimeout: 5000 });
  return { client: new Client({ connection, namespace: target.namespace }), close: () => connection.close() };
}

export async function startRetrain(client: Client, taskQueue: string, input: RetrainInput) {
  const workflowId = runWorkflowId(input.model);
  return client.workflow.start('retrainModel', {
    taskQueue,
    workflowId,
    args: [input],
    typedSearchAttributes: new TypedSearchAttributes([{ key: ModelNameKey, value: input.model }]),
    staticSummary: `Retrain ${input.model} (${input.trigger})`,
    staticDetails: `Nightshift retraining run for model **${input.model}**, started by ${input.trigger}${input.force ? ' (forced)' : ''}.`,
  });
}

export type { RunResult };

import type { retrainModel } from '../../workflows/index.ts';
import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { progressQuery, type RetrainInput, type RunResult } from '../../workflows/definitions.ts';
import { importExamples } from '../../registry/import-examples.ts';
import type { Db } from '../../registry/pool.ts';
import { WaitAbandoned, waitFor } from './wait.ts';

export async function runRetrain(
  client: Client,
  taskQueue: string,
  input: Omit<RetrainInput, 'trigger'> & { trigger?: RetrainInput['trigger'] },
) {
  const workflowId = `test-${input.model}-${randomBytes(4).toString('hex')}`;
  const result = (await client.workflow.execute<typeof retrainModel>('retrainModel', {
    taskQueue,
    workflowId,
    args: [{ trigger: 'test', ...input }],
  })) as RunResult;
  return { workflowId, result };
}

export async function importRows(db: Db, model: string, rows: Array<{ text: string; label: string }>) {
  return importExamples(db, model, 'test', rows);
}

/** Every payload in a workflow's history, with where it was found. */
export function collectPayloadSizes(value: unknown, where = 'history', out: Array<{ where: string; bytes: number }> = []) {
  if (value === null || typeof value !== 'object') return out;
  if (value instanceof Uint8Array) return out;
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.payloads)) {
    for (const p of record.payloads as Array<{ data?: Uint8Array | null; metadata?: Record<string, Uint8Array> }>) {
      const meta = Object.values(p.metadata ?? {}).reduce((s, m) => s + (m?.length ?? 0), 0);
      out.push({ where, bytes: (p.data?.length ?? 0) + meta });
    }
  }
  for (const [k, v] of Object.entries(record)) collectPayloadSizes(v, `${where}.${k}`, out);
  return out;
}

/** A run that ended: its outcome, reason, held-out rows and the judge's checks, for a failure message. */
export async function howRunEnded(handle: WorkflowHandle<typeof retrainModel>): Promise<string> {
  const r = (await handle.result()) as RunResult;
  const checks = (r.decision?.checks ?? []).map(
    (c) => `${c.kind} ${c.metric}: ${c.value} vs ${c.baseline} (threshold ${c.threshold}) ${c.pass ? 'pass' : 'FAIL'}`,
  );
  return [`the run ended ${r.outcome}: ${r.reason}`, `held-out rows: ${r.snapshot?.evalRows}`, ...checks].join('\n  ');
}

/**
 * Waits until a run asks for approval and returns the candidate version; a run that ends first
 * (rejected by the judge, no data, failed) fails the wait at once with how it ended.
 */
export async function awaitApproval(handle: WorkflowHandle<typeof retrainModel>, timeoutMs = 120_000): Promise<number> {
  return waitFor(
    `run ${handle.workflowId} to wait for approval`,
    async () => {
      const p = await handle.query(progressQuery);
      if (p.stage === 'awaiting-approval') return p.candidateVersion!;
      if (p.stage === 'done') throw new WaitAbandoned(await howRunEnded(handle));
      return undefined;
    },
    timeoutMs,
    200,
  );
}

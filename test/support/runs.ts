import type { retrainModel } from '../../workflows/index.ts';
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { RetrainInput, RunResult } from '../../workflows/definitions.ts';
import { importExamples } from '../../registry/import-examples.ts';
import type { Db } from '../../registry/pool.ts';

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

import { readFileSync } from 'node:fs';
import type { Config } from '../../stack/config.ts';
import { openRegistry } from '../../registry/open.ts';
import { printJson } from '../output.ts';
import { parse, UsageError } from './args.ts';
import { checkModelName } from '../../registry/models.ts';
import { recordFeedback, type FeedbackItem, type FeedbackItemResult, type FeedbackStatus } from '../../registry/feedback.ts';

export const FEEDBACK_HELP = `Usage: nightshift feedback --model NAME --file F.jsonl [--json]

Records the true labels of earlier predictions: one {"prediction_id": ..., "label": ...} object a
line (prediction ids from the model server's responses, or \`nightshift predict\` through a server).
Writes to the registry directly (no server needed), as POST /v1/feedback does.

Each labelled prediction becomes a labelled example of the model (source "feedback", time of the
feedback), so the next retraining run trains and evaluates on it. Results per line: recorded,
unchanged (the same label again: a no-op), conflict (the prediction already has another label: the
first label is final), unknown_prediction, unknown_label (not a label of the version that
predicted). Bad lines are reported and skipped.

  --model NAME     the model the predictions belong to (required)
  --file F.jsonl   the feedback (required)
  --json           one JSON document: {model, counts, results: [...], rejected: [{line, reason}]}`;

const CHUNK = 1000;

export async function feedback(argv: string[], config: Config): Promise<number> {
  const { values } = parse(argv, { model: { type: 'string' }, file: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(FEEDBACK_HELP + '\n');
    return 0;
  }
  if (!values.model) throw new UsageError('feedback needs --model NAME');
  if (!values.file) throw new UsageError('feedback needs --file F.jsonl');
  try {
    checkModelName(values.model);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let content: string;
  try {
    content = readFileSync(values.file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --file ${values.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const items: FeedbackItem[] = [];
  const rejected: Array<{ line: number; reason: string }> = [];
  content.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      rejected.push({ line: i + 1, reason: `bad JSON: ${(err as Error).message}` });
      return;
    }
    const r = v as { prediction_id?: unknown; label?: unknown } | null;
    if (r === null || typeof r !== 'object') rejected.push({ line: i + 1, reason: 'not a JSON object' });
    else if (typeof r.prediction_id !== 'string' || r.prediction_id === '')
      rejected.push({ line: i + 1, reason: 'needs a "prediction_id" string' });
    else if (typeof r.label !== 'string' || r.label === '') rejected.push({ line: i + 1, reason: 'needs a "label" string' });
    else items.push({ prediction_id: r.prediction_id, label: r.label });
  });

  const results: FeedbackItemResult[] = [];
  const counts: Record<FeedbackStatus, number> = { recorded: 0, unchanged: 0, conflict: 0, unknown_prediction: 0, unknown_label: 0 };
  const registry = await openRegistry(config);
  try {
    for (let start = 0; start < items.length; start += CHUNK) {
      const report = await recordFeedback(registry.db, values.model, items.slice(start, start + CHUNK));
      results.push(...report.results);
      for (const [k, n] of Object.entries(report.counts)) counts[k as FeedbackStatus] += n;
    }
  } finally {
    await registry.close();
  }
  if (values.json) {
    printJson({ model: values.model, counts, results, rejected });
  } else {
    process.stdout.write(
      `${values.model}: ${counts.recorded} recorded, ${counts.unchanged} unchanged, ${counts.conflict} conflicts, ` +
        `${counts.unknown_prediction} unknown predictions, ${counts.unknown_label} unknown labels, ${rejected.length} bad lines\n`,
    );
    const notable = results.filter((r) => r.status !== 'recorded' && r.status !== 'unchanged');
    for (const r of notable.slice(0, 50)) process.stdout.write(`  ${r.prediction_id}: ${r.status}${r.message ? ` (${r.message})` : ''}\n`);
    for (const r of rejected.slice(0, 50)) process.stdout.write(`  line ${r.line}: ${r.reason}\n`);
  }
  return rejected.length > 0 && items.length === 0 ? 1 : 0;
}

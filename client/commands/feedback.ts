/** `nightshift feedback`: the true labels of earlier predictions, written to the registry. */
import { printJson } from '../output.ts';
import { modelFlag, parse, textFileFlag, UsageError } from './args.ts';
import { type ConfigInput, configSource, withRegistry } from './connect.ts';
import type { FeedbackItem, FeedbackItemResult, FeedbackStatus } from '../../registry/feedback.ts';

const CHUNK = 1000;

export async function feedback(argv: string[], configInput: ConfigInput): Promise<number> {
  const config = configSource(configInput);
  const { values } = parse(argv, { model: { type: 'string' }, file: { type: 'string' }, json: { type: 'boolean' } });
  const model = modelFlag(values.model, 'feedback');
  if (!values.file) throw new UsageError('feedback needs --file F.jsonl');
  const content = textFileFlag('file', values.file);
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
  await withRegistry(config, async ({ db }) => {
    const { recordFeedback } = await import('../../registry/feedback.ts');
    for (let start = 0; start < items.length; start += CHUNK) {
      const report = await recordFeedback(db, model, items.slice(start, start + CHUNK));
      results.push(...report.results);
      for (const [k, n] of Object.entries(report.counts)) counts[k as FeedbackStatus] += n;
    }
  });
  if (values.json) {
    printJson({ model, counts, results, rejected });
  } else {
    process.stdout.write(
      `${model}: ${counts.recorded} recorded, ${counts.unchanged} unchanged, ${counts.conflict} conflicts, ` +
        `${counts.unknown_prediction} unknown predictions, ${counts.unknown_label} unknown labels, ${rejected.length} bad lines\n`,
    );
    const notable = results.filter((r) => r.status !== 'recorded' && r.status !== 'unchanged');
    for (const r of notable.slice(0, 50)) process.stdout.write(`  ${r.prediction_id}: ${r.status}${r.message ? ` (${r.message})` : ''}\n`);
    for (const r of rejected.slice(0, 50)) process.stdout.write(`  line ${r.line}: ${r.reason}\n`);
  }
  return rejected.length > 0 && items.length === 0 ? 1 : 0;
}

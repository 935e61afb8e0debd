/**
 * Update mode against full retraining as data arrives: SpamAssassin by Date header (as the demo
 * feed releases it), every fifth message held out. The first half of the training rows trains the
 * first model; the rest arrives in batches. After each batch, "full" retrains from scratch on every
 * row so far, "update" continues the previous update model on the batch plus a replay sample of
 * older rows (share 0.5, seeded). Both are scored on the held-out rows of the next batch (the
 * future they would serve), or of the last batch after the last one.
 */
import { spamAssassinByDate } from '../../data/spam-assassin.ts';
import { evaluateClassifier, fitClassifier } from '../../ml/classifier.ts';
import type { LabelledText } from '../../ml/labelled-data.ts';
import { replaySample } from '../../ml/replay-sample.ts';
import type { LinearModel } from '../../ml/softmax-regression.ts';
import { holdOutEveryFifth } from './dataset.ts';

export interface UpdateVsFullRow {
  batch: number;
  newRows: number;
  trainRows: { full: number; update: number };
  accuracy: { full: number; update: number };
  macroF1: { full: number; update: number };
  seconds: { full: number; update: number };
}

export async function benchUpdateVsFull(batches = 5, replayShare = 0.5): Promise<UpdateVsFullRow[]> {
  const rows: LabelledText[] = spamAssassinByDate().map((m) => ({ text: m.text, label: m.label }));
  const { train, test } = holdOutEveryFifth(rows);
  const half = Math.floor(train.length / 2);
  const batchSize = Math.ceil((train.length - half) / batches);
  const testBatch = (b: number): LabelledText[] => {
    // Test rows are every fifth of the date order: those dated like training batch b.
    const from = Math.floor(((half + b * batchSize) / train.length) * test.length);
    const to = Math.floor(((half + (b + 1) * batchSize) / train.length) * test.length);
    return test.slice(from, Math.min(to, test.length));
  };
  let updated: LinearModel = (await fitClassifier(train.slice(0, half))).model;
  const out: UpdateVsFullRow[] = [];
  for (let b = 0; b < batches; b++) {
    const seen = train.slice(0, Math.min(train.length, half + (b + 1) * batchSize));
    const fresh = train.slice(half + b * batchSize, seen.length);
    const older = train.slice(0, half + b * batchSize);
    const replay = replaySample(older, fresh.length, { share: replayShare, seed: b });
    const future = b + 1 < batches ? testBatch(b + 1) : testBatch(b);
    const full = await fitClassifier(seen);
    const update = await fitClassifier([...replay, ...fresh], { warmStart: updated });
    updated = update.model;
    const ef = evaluateClassifier(full.model, future).metrics;
    const eu = evaluateClassifier(update.model, future).metrics;
    out.push({
      batch: b + 1,
      newRows: fresh.length,
      trainRows: { full: seen.length, update: replay.length + fresh.length },
      accuracy: { full: ef.accuracy, update: eu.accuracy },
      macroF1: { full: ef.macro.f1, update: eu.macro.f1 },
      seconds: { full: full.featurizeSeconds + full.trainSeconds, update: update.featurizeSeconds + update.trainSeconds },
    });
  }
  return out;
}

export function printUpdateVsFull(rows: UpdateVsFullRow[]): string {
  const lines = [
    'Update (warm start + replay share 0.5) vs full retraining, SpamAssassin by date, scored on the next batch held out:',
    `  ${'batch'.padEnd(6)} ${'new'.padStart(5)} ${'rows full/upd'.padStart(14)} ${'acc full/upd'.padStart(14)} ${'F1 full/upd'.padStart(14)} ${'s full/upd'.padStart(12)}`,
  ];
  for (const r of rows) {
    lines.push(
      `  ${String(r.batch).padEnd(6)} ${String(r.newRows).padStart(5)} ${`${r.trainRows.full}/${r.trainRows.update}`.padStart(14)} ${`${r.accuracy.full.toFixed(4)}/${r.accuracy.update.toFixed(4)}`.padStart(14)} ${`${r.macroF1.full.toFixed(4)}/${r.macroF1.update.toFixed(4)}`.padStart(14)} ${`${r.seconds.full.toFixed(2)}/${r.seconds.update.toFixed(2)}`.padStart(12)}`,
    );
  }
  return lines.join('\n');
}

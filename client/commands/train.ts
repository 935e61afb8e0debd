/** `nightshift train`: the ML modules alone (no Temporal, no database), for experiments and benchmarks. */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseJsonl } from '../../data/jsonl.ts';
import { evaluateClassifier, fitClassifier } from '../../ml/classifier.ts';
import { encodeModel } from '../../ml/model-file.ts';
import { splitHyperparameters } from '../../ml/hyperparameters.ts';
import { log, printJson } from '../output.ts';
import { HYPERPARAMETER_FLAGS, hyperparametersFrom, parse, UsageError } from './args.ts';

function load(file: string, what: string) {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read --${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const parsed = parseJsonl(bytes);
  if (parsed.rejected.length)
    log(`${file}: skipped ${parsed.rejected.length} bad lines (first: line ${parsed.rejected[0].line}: ${parsed.rejected[0].reason})`);
  return parsed.rows;
}

export async function train(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    train: { type: 'string' },
    test: { type: 'string' },
    'model-out': { type: 'string' },
    json: { type: 'boolean' },
    ...HYPERPARAMETER_FLAGS,
  });
  if (!values.train || !values.test) throw new UsageError('train needs --train A.jsonl and --test B.jsonl');
  const trainRows = load(values.train, 'train');
  const testRows = load(values.test, 'test');
  const { featurizer, train: trainOptions } = splitHyperparameters(hyperparametersFrom(values));
  const fit = await fitClassifier(trainRows, { featurizer, train: trainOptions });
  const evaluation = evaluateClassifier(fit.model, testRows);
  if (values['model-out']) writeFileSync(values['model-out'], encodeModel(fit.model).bytes);
  const m = evaluation.metrics;
  const out = {
    accuracy: m.accuracy,
    macro_f1: m.macro.f1,
    per_class: m.perClass,
    labels: fit.model.labels,
    examples: { train: trainRows.length, test: testRows.length },
    epochs: fit.state.epoch,
    featurize_s: fit.featurizeSeconds,
    train_s: fit.trainSeconds,
  };
  if (values.json) printJson(out);
  else {
    process.stdout.write(
      `accuracy ${m.accuracy.toFixed(4)}  macro-F1 ${m.macro.f1.toFixed(4)}  (${testRows.length} test rows, ${fit.state.epoch} epochs, featurize ${fit.featurizeSeconds.toFixed(2)}s, train ${fit.trainSeconds.toFixed(2)}s)\n`,
    );
    for (const [label, s] of Object.entries(m.perClass)) {
      process.stdout.write(
        `  ${label.padEnd(20)} precision ${s.precision.toFixed(4)} recall ${s.recall.toFixed(4)} f1 ${s.f1.toFixed(4)} support ${s.support}\n`,
      );
    }
  }
  return 0;
}

/** `nightshift train`: the ML modules alone (no Temporal, no database), for experiments and benchmarks. */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseJsonl } from '../../data/jsonl.ts';
import { evaluateClassifier, fitClassifier } from '../../ml/classifier.ts';
import { encodeModel } from '../../ml/model-file.ts';
import { splitHyperparameters } from '../../ml/hyperparameters.ts';
import { log, printJson } from '../output.ts';
import { HYPERPARAMETER_FLAGS, HYPERPARAMETER_HELP, hyperparametersFrom, parse, UsageError } from './args.ts';

export const TRAIN_HELP = `Usage: nightshift train --train A.jsonl --test B.jsonl [--model-out F] [--json] [hyperparameters]

Trains the text classifier on one JSONL file and evaluates it on another, with the pure ML
modules only. Prints accuracy, macro-F1 and per-class scores; --json prints one object with
accuracy, macro_f1, per_class, labels, examples, epochs, featurize_s, train_s.

  --train FILE      labelled JSONL to train on
  --test FILE       labelled JSONL to evaluate on (labels must be known to the model)
  --model-out FILE  write the model file (Nightshift binary format) there

${HYPERPARAMETER_HELP}`;

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
  if (values.help) {
    process.stdout.write(TRAIN_HELP + '\n');
    return 0;
  }
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

/** `nightshift train --help`. */
import { HYPERPARAMETER_HELP } from './hyperparameters.ts';

export const TRAIN_HELP = `Usage: nightshift train --train A.jsonl --test B.jsonl [--model-out F] [--json] [hyperparameters]

Trains the text classifier on one JSONL file and evaluates it on another, with the pure ML
modules only. Prints accuracy, macro-F1 and per-class scores; --json prints one object with
accuracy, macro_f1, per_class, labels, examples, epochs, featurize_s, train_s.

  --train FILE      labelled JSONL to train on
  --test FILE       labelled JSONL to evaluate on (labels must be known to the model)
  --model-out FILE  write the model file (Nightshift binary format) there

${HYPERPARAMETER_HELP}

Examples:
  nightshift train --train train.jsonl --test test.jsonl
  nightshift train --train train.jsonl --test test.jsonl --char-ngrams on --epochs 10 --json`;

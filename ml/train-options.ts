/**
 * Options of the trainer: one documented type, its defaults, and one check that throws precise
 * messages naming the option. The Adam fields are checked by the optimizer's own check.
 */
import { checkAdamOptions, type AdamOptions } from './adam.ts';
import { MlError } from './errors.ts';

export interface TrainOptions extends AdamOptions {
  /** Passes over the training rows. Default 15 (early stopping usually ends sooner). */
  epochs: number;
  /** Adam step size. Default 0.05 (chosen with batchSize by an earlier suite that scored candidates on its held-out rows; bench/run-suite.ts now searches on a validation split and reports how the defaults fare). */
  learningRate: number;
  /** Adam beta1. Default 0.9. */
  beta1: number;
  /** Adam beta2. Default 0.999. */
  beta2: number;
  /** Adam epsilon. Default 1e-8. */
  epsilon: number;
  /** Rows per mini-batch. Default 64 (fewer, larger Adam steps: as accurate as 16 on the earlier suite, in fewer epochs). */
  batchSize: number;
  /** L2 penalty (coupled, added to the gradient of touched coordinates). Default 1e-6. */
  l2: number;
  /** Decoupled weight decay (AdamW). Default 0. */
  weightDecay: number;
  /** Seed for the validation split and the shuffles. Default 42. */
  seed: number;
  /** Stop when validation loss has not improved by `tolerance` for `patience` epochs. Default true. */
  earlyStopping: boolean;
  /** Share of training rows held out for early stopping. Default 0.1. */
  validationFraction: number;
  /** Epochs without improvement before stopping. Default 1 (a second epoch never recovered on the earlier suite). */
  patience: number;
  /** Minimum improvement of validation loss. Default 1e-4. */
  tolerance: number;
  /** 'none', 'balanced' (n / (K * count)), or a weight per label. Default 'none'. */
  classWeights: 'none' | 'balanced' | Record<string, number>;
}

export const defaultTrainOptions: TrainOptions = {
  epochs: 15,
  learningRate: 0.05,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  batchSize: 64,
  l2: 1e-6,
  weightDecay: 0,
  seed: 42,
  earlyStopping: true,
  validationFraction: 0.1,
  patience: 1,
  tolerance: 1e-4,
  classWeights: 'none',
};

export function checkTrainOptions(o: TrainOptions): void {
  const bad = (msg: string): never => {
    throw new MlError('InvalidOptions', msg);
  };
  if (!Number.isInteger(o.epochs) || o.epochs < 1 || o.epochs > 10000) bad(`epochs must be an integer in [1, 10000], got ${o.epochs}`);
  // The optimizer's own fields: one check, the one the Adam class runs.
  checkAdamOptions(o);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) bad(`batchSize must be an integer >= 1, got ${o.batchSize}`);
  if (!(o.l2 >= 0) || !Number.isFinite(o.l2)) bad(`l2 must be a finite number >= 0, got ${o.l2}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) bad(`seed must be an integer in [0, 4294967295], got ${o.seed}`);
  if (!(o.validationFraction >= 0 && o.validationFraction < 1)) bad(`validationFraction must be in [0, 1), got ${o.validationFraction}`);
  if (!Number.isInteger(o.patience) || o.patience < 1) bad(`patience must be an integer >= 1, got ${o.patience}`);
  if (!(o.tolerance >= 0)) bad(`tolerance must be >= 0, got ${o.tolerance}`);
  if (typeof o.classWeights === 'object') {
    for (const [label, w] of Object.entries(o.classWeights)) {
      if (!(w > 0) || !Number.isFinite(w)) bad(`class weight for ${JSON.stringify(label)} must be a finite number > 0, got ${w}`);
    }
  } else if (o.classWeights !== 'none' && o.classWeights !== 'balanced') {
    bad(`classWeights must be 'none', 'balanced' or an object of label weights, got ${String(o.classWeights)}`);
  }
}

export function resolveTrainOptions(partial: Partial<TrainOptions> = {}): TrainOptions {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const options = { ...defaultTrainOptions, ...defined } as TrainOptions;
  checkTrainOptions(options);
  return options;
}

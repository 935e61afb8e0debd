/** Options of the tabular trainer: one documented type, its defaults, and one check naming the option. */
import { checkAdamOptions, type AdamOptions } from '../adam.ts';
import { MlError } from '../errors.ts';

export interface TabularTrainOptions extends AdamOptions {
  /** Hidden layer sizes (ReLU); [] is a linear model. Default [64, 32]. */
  hidden: number[];
  /** Passes over the training rows. Default 100 (early stopping usually ends sooner). */
  epochs: number;
  /** Adam step size. Default 0.001. */
  learningRate: number;
  /** Rows per mini-batch. Default 32. */
  batchSize: number;
  /** Regression loss: squared error or Huber (on the standardised target). Default 'mse'. */
  regressionLoss: 'mse' | 'huber';
  /** Huber threshold, in standard deviations of the target. Default 1. */
  huberDelta: number;
  /** Seed of the initial weights, the validation split and the shuffles. Default 42. */
  seed: number;
  /** Stop when validation loss has not improved by `tolerance` for `patience` epochs. Default true. */
  earlyStopping: boolean;
  /** Share of training rows held out for early stopping (with 10 rows or more). Default 0.1. */
  validationFraction: number;
  /** Epochs without improvement before stopping. Default 5. */
  patience: number;
  /** Minimum improvement of validation loss. Default 1e-4. */
  tolerance: number;
}

export const defaultTabularTrainOptions: TabularTrainOptions = {
  hidden: [64, 32],
  epochs: 100,
  learningRate: 0.001,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0,
  batchSize: 32,
  regressionLoss: 'mse',
  huberDelta: 1,
  seed: 42,
  earlyStopping: true,
  validationFraction: 0.1,
  patience: 5,
  tolerance: 1e-4,
};

export function checkTabularTrainOptions(o: TabularTrainOptions): void {
  const bad = (msg: string): never => {
    throw new MlError('InvalidOptions', msg);
  };
  if (!Array.isArray(o.hidden) || o.hidden.length > 8 || !o.hidden.every((h) => Number.isInteger(h) && h >= 1 && h <= 4096)) {
    bad(`hidden must be at most 8 layer sizes, each an integer in [1, 4096], got ${JSON.stringify(o.hidden)}`);
  }
  if (!Number.isInteger(o.epochs) || o.epochs < 1 || o.epochs > 10000) bad(`epochs must be an integer in [1, 10000], got ${o.epochs}`);
  checkAdamOptions(o);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) bad(`batchSize must be an integer >= 1, got ${o.batchSize}`);
  if (o.regressionLoss !== 'mse' && o.regressionLoss !== 'huber')
    bad(`regressionLoss must be 'mse' or 'huber', got ${String(o.regressionLoss)}`);
  if (!(o.huberDelta > 0) || !Number.isFinite(o.huberDelta)) bad(`huberDelta must be a finite number > 0, got ${o.huberDelta}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) bad(`seed must be an integer in [0, 4294967295], got ${o.seed}`);
  if (!(o.validationFraction >= 0 && o.validationFraction < 1)) bad(`validationFraction must be in [0, 1), got ${o.validationFraction}`);
  if (!Number.isInteger(o.patience) || o.patience < 1) bad(`patience must be an integer >= 1, got ${o.patience}`);
  if (!(o.tolerance >= 0)) bad(`tolerance must be >= 0, got ${o.tolerance}`);
}

export function resolveTabularTrainOptions(partial: Partial<TabularTrainOptions> = {}): TabularTrainOptions {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const options = { ...defaultTabularTrainOptions, ...defined } as TabularTrainOptions;
  checkTabularTrainOptions(options);
  return options;
}

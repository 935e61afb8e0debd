/**
 * Update mode's starting point: a training state whose weights and biases are a trained model's
 * (the champion's), so training continues from it on new rows instead of from zero. The Adam
 * moments start at zero unless the champion's final training state is given, in which case its
 * moments and step count carry over too (the optimizer continues as if training had not stopped).
 */
import { MlError } from './errors.ts';
import type { LinearModel } from './softmax-regression.ts';
import { initialTrainingState, type TrainingState } from './train.ts';
import type { TrainOptions } from './train-options.ts';

/**
 * A fresh training state (epoch 0, RNG from options.seed) holding `model`'s weights and biases, and
 * `adamFrom`'s moments and step when given (it must be a state of the same shape, e.g. the champion's
 * last checkpoint).
 */
export function warmStartState(model: LinearModel, options: TrainOptions, adamFrom?: TrainingState): TrainingState {
  const C = model.bias.length;
  const buckets = model.featurizer.buckets;
  if (model.weights.length !== buckets * C) {
    throw new MlError('InvalidOptions', `model has ${model.weights.length} weights, expected ${buckets} buckets x ${C} columns`);
  }
  const state = initialTrainingState([...model.labels], model.featurizer, options, C);
  const stride = 3 * C;
  for (let j = 0; j < buckets; j++) for (let c = 0; c < C; c++) state.params[j * stride + c] = model.weights[j * C + c];
  state.bias.set(model.bias);
  if (adamFrom) {
    if (adamFrom.columns !== C || adamFrom.params.length !== state.params.length) {
      throw new MlError(
        'InvalidOptions',
        `Adam state has ${adamFrom.columns} columns and ${adamFrom.params.length} parameters; the model needs ${C} and ${state.params.length}`,
      );
    }
    for (let j = 0; j < buckets; j++) {
      const base = j * stride;
      for (let i = C; i < stride; i++) state.params[base + i] = adamFrom.params[base + i];
    }
    state.mBias.set(adamFrom.mBias);
    state.vBias.set(adamFrom.vBias);
    state.step = adamFrom.step;
  }
  return state;
}

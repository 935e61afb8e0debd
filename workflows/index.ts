export { retrainModel } from './retrain-model.ts';

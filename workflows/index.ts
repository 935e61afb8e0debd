export { retrainModel } from './retrain-model.ts';
export { setProduction } from './set-production.ts';
export { modelRunSlot } from './run-slot.ts';

export { retrainModel } from './retrain-model.ts';
export { setProduction } from './set-production.ts';
export { modelRunSlot } from './run-slot.ts';
export { monitorModel } from './monitor-model.ts';
export { deliverNotification } from './deliver-notification.ts';

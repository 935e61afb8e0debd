/** Tabular data and regression (issue 22): schema, preprocessing, metrics, paired test, trainer, model file. */
export * from './schema.ts';
export * from './preprocess.ts';
export * from './regression-metrics.ts';
export * from './paired-test.ts';
export * from './network.ts';
export * from './train-options.ts';
export * from './model.ts';
export * from './trainer.ts';
export * from './model-file.ts';

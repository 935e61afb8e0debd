/** Validation and encoding of labelled examples for training and evaluation. */
import { MlError } from './errors.ts';

export interface LabelledText {
  text: string;
  label: string;
}

export interface EncodedLabels {
  labels: string[];
  y: Int32Array;
}

/** Checks text and label of every row; returns a precise message for the first bad one. */
export function checkExamples(examples: readonly unknown[], what: 'training' | 'test'): asserts examples is LabelledText[] {
  const type = what === 'training' ? 'InvalidTrainingData' : 'InvalidTestData';
  examples.forEach((e, i) => {
    const row = e as Partial<Record<string, unknown>> | null;
    if (row === null || typeof row !== 'object') throw new MlError(type, `${what} row ${i + 1} is not an object`);
    if (typeof row.text !== 'string') throw new MlError(type, `${what} row ${i + 1}: text is missing or not a string`);
    if (row.text.trim() === '') throw new MlError(type, `${what} row ${i + 1}: text is empty`);
    if (typeof row.label !== 'string') throw new MlError(type, `${what} row ${i + 1}: label is missing or not a string`);
    if (row.label === '') throw new MlError(type, `${what} row ${i + 1}: label is empty`);
  });
}

/** Minimum rows a training set needs. */
export const MIN_TRAINING_EXAMPLES = 5;

export function encodeTrainingLabels(examples: readonly LabelledText[]): EncodedLabels {
  checkExamples(examples, 'training');
  if (examples.length < MIN_TRAINING_EXAMPLES) {
    throw new MlError('InvalidTrainingData', `training needs at least ${MIN_TRAINING_EXAMPLES} rows, got ${examples.length}`);
  }
  const labels = [...new Set(examples.map((e) => e.label))].sort();
  if (labels.length < 2) {
    throw new MlError(
      'InvalidTrainingData',
      `training needs at least 2 distinct labels, got ${labels.length} (${labels.map((l) => JSON.stringify(l)).join(', ')})`,
    );
  }
  const index = new Map(labels.map((l, i) => [l, i]));
  return { labels, y: Int32Array.from(examples, (e) => index.get(e.label)!) };
}

/**
 * Encodes test labels against a model's labels. A label the model never saw is an error unless
 * `allowUnknownLabels`, where it gets an index past the model's labels (it is always misclassified).
 */
export function encodeTestLabels(
  examples: readonly LabelledText[],
  modelLabels: readonly string[],
  allowUnknownLabels = false,
): EncodedLabels {
  checkExamples(examples, 'test');
  const labels = [...modelLabels];
  const index = new Map(labels.map((l, i) => [l, i]));
  const unknown = new Set<string>();
  const y = Int32Array.from(examples, (e) => {
    let i = index.get(e.label);
    if (i === undefined) {
      unknown.add(e.label);
      i = labels.length;
      labels.push(e.label);
      index.set(e.label, i);
    }
    return i;
  });
  if (unknown.size > 0 && !allowUnknownLabels) {
    throw new MlError(
      'InvalidTestData',
      `test set has labels the model never saw: ${[...unknown].map((l) => JSON.stringify(l)).join(', ')}; ` +
        `the model knows ${modelLabels.map((l) => JSON.stringify(l)).join(', ')}`,
    );
  }
  return { labels, y };
}

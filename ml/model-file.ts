/**
 * The model file: a checksummed envelope (see binary-envelope.ts) with magic "NSMF", a JSON header
 * (format version, labels, every featurizer setting) and Float32 weights, bias, then IDF weights.
 *
 * Version 2 (now): the featurizer has idf and character n-gram settings, the IDF weights follow the
 * bias when featurizer.idf, and a binary model may have one weight column. Version 1 (still read):
 * weights and bias only; its featurizer settings predate those options and decode as
 * legacyFeaturizerOptions, so it featurizes as it was trained.
 */
import { decodeEnvelope, encodeEnvelope, sha256Hex } from './binary-envelope.ts';
import { MlError } from './errors.ts';
import { legacyFeaturizerOptions, type FeaturizerOptions } from './hashing-vectorizer.ts';
import { weightColumns, type LinearModel } from './softmax-regression.ts';

export const MODEL_FORMAT_VERSION = 2;
const READABLE_VERSIONS = [1, 2];
const MAGIC = 'NSMF';

interface ModelHeader {
  kind: 'softmax-regression';
  labels: string[];
  featurizer: FeaturizerOptions;
}

export interface EncodedModel {
  bytes: Buffer;
  sha256: string;
  formatVersion: number;
}

export function encodeModel(model: LinearModel): EncodedModel {
  const header: ModelHeader = { kind: 'softmax-regression', labels: model.labels, featurizer: model.featurizer };
  if (model.featurizer.idf !== (model.idf !== undefined)) {
    throw new MlError(
      'InvalidOptions',
      `featurizer.idf is ${model.featurizer.idf} but the model ${model.idf ? 'has' : 'lacks'} IDF weights`,
    );
  }
  const arrays = model.idf ? [model.weights, model.bias, model.idf] : [model.weights, model.bias];
  const bytes = encodeEnvelope(MAGIC, MODEL_FORMAT_VERSION, header, arrays);
  return { bytes, sha256: sha256Hex(bytes), formatVersion: MODEL_FORMAT_VERSION };
}

/**
 * Decodes a model file. `expectedSha256` (the registry's record) is checked too, so a row whose
 * bytes were swapped for another valid file is caught. `what` names the model in errors.
 */
export function decodeModel(bytes: Uint8Array, what = 'model file', expectedSha256?: string): LinearModel {
  if (expectedSha256 !== undefined && sha256Hex(bytes) !== expectedSha256) {
    throw new MlError('ModelCorrupted', `${what}: stored bytes do not match the recorded sha256 ${expectedSha256}`);
  }
  const { header, arrays, formatVersion } = decodeEnvelope<ModelHeader>(bytes, MAGIC, READABLE_VERSIONS, what);
  const [weights, bias, idf] = arrays;
  const featurizer = formatVersion === 1 ? { ...header.featurizer, ...legacyFeaturizerOptions } : header.featurizer;
  const K = header.labels.length;
  const C = bias?.length ?? 0;
  const columnsOk = C === K || (formatVersion >= 2 && C === weightColumns(K));
  if (header.kind !== 'softmax-regression' || !columnsOk || weights.length !== featurizer.buckets * C) {
    throw new MlError('ModelCorrupted', `${what}: header and weight shapes disagree`);
  }
  if (featurizer.idf !== (idf !== undefined) || (idf !== undefined && idf.length !== featurizer.buckets)) {
    throw new MlError(
      'ModelCorrupted',
      `${what}: featurizer.idf is ${featurizer.idf} but the file has ${idf ? idf.length : 'no'} IDF weights`,
    );
  }
  return idf ? { labels: header.labels, featurizer, weights, bias, idf } : { labels: header.labels, featurizer, weights, bias };
}

/**
 * The model file: a checksummed envelope (see binary-envelope.ts) with magic "NSMF", a JSON header
 * (format version, labels, featurizer settings) and Float32 weights then bias.
 */
import { decodeEnvelope, encodeEnvelope, sha256Hex } from './binary-envelope.ts';
import { MlError } from './errors.ts';
import type { FeaturizerOptions } from './hashing-vectorizer.ts';
import type { LinearModel } from './softmax-regression.ts';

export const MODEL_FORMAT_VERSION = 1;
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
  const bytes = encodeEnvelope(MAGIC, MODEL_FORMAT_VERSION, header, [model.weights, model.bias]);
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
  const { header, arrays } = decodeEnvelope<ModelHeader>(bytes, MAGIC, MODEL_FORMAT_VERSION, what);
  const [weights, bias] = arrays;
  const K = header.labels.length;
  if (header.kind !== 'softmax-regression' || !bias || bias.length !== K || weights.length !== header.featurizer.buckets * K) {
    throw new MlError('ModelCorrupted', `${what}: header and weight shapes disagree`);
  }
  return { labels: header.labels, featurizer: header.featurizer, weights, bias };
}

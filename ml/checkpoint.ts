/**
 * Training checkpoints: a TrainingState in a checksummed envelope (magic "NSCK"), deflated. Hashed
 * weights and Adam moments are mostly zeros, so level-1 deflate shrinks a checkpoint several-fold
 * and makes writing one every epoch cheap.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { decodeEnvelope, encodeEnvelope } from './binary-envelope.ts';
import { MlError } from './errors.ts';
import { legacyFeaturizerOptions } from './hashing-vectorizer.ts';
import type { TrainingState } from './train.ts';

const MAGIC = 'NSCK';
/**
 * 2: interleaved parameters (TrainingState.params) and a `columns` field, one column for two labels.
 * 1 (still read, resumes as the K-column softmax it was): weights, bias, m, v, mBias, vBias apart.
 */
export const CHECKPOINT_FORMAT_VERSION = 2;

type CheckpointHeader = Omit<TrainingState, 'params' | 'bias' | 'mBias' | 'vBias'>;

export function encodeCheckpoint(state: TrainingState): Buffer {
  const { params, bias, mBias, vBias, ...header } = state;
  return deflateRawSync(encodeEnvelope(MAGIC, CHECKPOINT_FORMAT_VERSION, header, [params, bias, mBias, vBias]), { level: 1 });
}

/** Interleaves format-1 arrays (weights, m, v, each buckets x K) into TrainingState.params. */
function interleave(weights: Float32Array, m: Float32Array, v: Float32Array, K: number): Float32Array {
  const buckets = weights.length / K;
  const params = new Float32Array(buckets * 3 * K);
  for (let j = 0; j < buckets; j++) {
    for (let k = 0; k < K; k++) {
      params[j * 3 * K + k] = weights[j * K + k];
      params[j * 3 * K + K + k] = m[j * K + k];
      params[j * 3 * K + 2 * K + k] = v[j * K + k];
    }
  }
  return params;
}

export function decodeCheckpoint(compressed: Uint8Array): TrainingState {
  let bytes: Buffer;
  try {
    bytes = inflateRawSync(compressed);
  } catch {
    throw new MlError('ModelCorrupted', 'training checkpoint is not valid deflate data');
  }
  const { header, arrays, formatVersion } = decodeEnvelope<CheckpointHeader>(
    bytes,
    MAGIC,
    [1, CHECKPOINT_FORMAT_VERSION],
    'training checkpoint',
  );
  const { arrayLengths: _lengths, ...rest } = header as CheckpointHeader & { arrayLengths?: number[] };
  if (formatVersion === 1) {
    const [weights, bias, m, v, mBias, vBias] = arrays;
    const K = bias.length;
    return {
      ...rest,
      featurizer: { ...rest.featurizer, ...legacyFeaturizerOptions },
      columns: K,
      params: interleave(weights, m, v, K),
      bias,
      mBias,
      vBias,
    };
  }
  const [params, bias, mBias, vBias] = arrays;
  return { ...rest, params, bias, mBias, vBias };
}

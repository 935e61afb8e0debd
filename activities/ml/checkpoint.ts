/**
 * Training checkpoints: a TrainingState in a checksummed envelope (magic "NSCK"), deflated. Hashed
 * weights and Adam moments are mostly zeros, so level-1 deflate shrinks a checkpoint several-fold
 * and makes writing one every epoch cheap.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { decodeEnvelope, encodeEnvelope } from './binary-envelope.ts';
import { MlError } from './errors.ts';
import type { TrainingState } from './train.ts';

const MAGIC = 'NSCK';
const CHECKPOINT_FORMAT_VERSION = 1;

type CheckpointHeader = Omit<TrainingState, 'weights' | 'bias' | 'm' | 'v' | 'mBias' | 'vBias'>;

export function encodeCheckpoint(state: TrainingState): Buffer {
  const { weights, bias, m, v, mBias, vBias, ...header } = state;
  return deflateRawSync(encodeEnvelope(MAGIC, CHECKPOINT_FORMAT_VERSION, header, [weights, bias, m, v, mBias, vBias]), { level: 1 });
}

export function decodeCheckpoint(compressed: Uint8Array): TrainingState {
  let bytes: Buffer;
  try {
    bytes = inflateRawSync(compressed);
  } catch {
    throw new MlError('ModelCorrupted', 'training checkpoint is not valid deflate data');
  }
  const { header, arrays } = decodeEnvelope<CheckpointHeader>(bytes, MAGIC, CHECKPOINT_FORMAT_VERSION, 'training checkpoint');
  const [weights, bias, m, v, mBias, vBias] = arrays;
  const { arrayLengths: _lengths, ...rest } = header as CheckpointHeader & { arrayLengths?: number[] };
  return { ...rest, weights, bias, m, v, mBias, vBias };
}

/** Training checkpoints: a TrainingState in a checksummed envelope (magic "NSCK"). */
import { decodeEnvelope, encodeEnvelope } from './binary-envelope.ts';
import type { TrainingState } from './train.ts';

const MAGIC = 'NSCK';
const CHECKPOINT_FORMAT_VERSION = 1;

type CheckpointHeader = Omit<TrainingState, 'weights' | 'bias' | 'm' | 'v' | 'mBias' | 'vBias'>;

export function encodeCheckpoint(state: TrainingState): Buffer {
  const { weights, bias, m, v, mBias, vBias, ...header } = state;
  return encodeEnvelope(MAGIC, CHECKPOINT_FORMAT_VERSION, header, [weights, bias, m, v, mBias, vBias]);
}

export function decodeCheckpoint(bytes: Uint8Array): TrainingState {
  const { header, arrays } = decodeEnvelope<CheckpointHeader>(bytes, MAGIC, CHECKPOINT_FORMAT_VERSION, 'training checkpoint');
  const [weights, bias, m, v, mBias, vBias] = arrays;
  const { arrayLengths: _lengths, ...rest } = header as CheckpointHeader & { arrayLengths?: number[] };
  return { ...rest, weights, bias, m, v, mBias, vBias };
}

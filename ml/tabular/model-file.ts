/**
 * The tabular model file and training checkpoint, in the checksummed envelope the text model uses
 * (binary-envelope.ts). Model file: magic "NSTB", a JSON header (kind, task, schema, preprocessing
 * as fitted, labels, target scaling, layer sizes) and the Float32 parameters, so prediction
 * transforms exactly as training did. Checkpoint: magic "NSTK", the training state's header and its
 * parameters and Adam moments, deflated (level 1). Both are read back bit for bit.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { decodeEnvelope, encodeEnvelope, sha256Hex } from '../binary-envelope.ts';
import { MlError } from '../errors.ts';
import { checkTabularModel, type TabularModel } from './model.ts';
import { parsePreprocessor } from './preprocess.ts';
import { parseSchema } from './schema.ts';
import { resolveTabularTrainOptions } from './train-options.ts';
import type { TabularTrainingState } from './trainer.ts';

export const TABULAR_MODEL_FORMAT_VERSION = 1;
export const TABULAR_CHECKPOINT_FORMAT_VERSION = 1;
const MODEL_MAGIC = 'NSTB';
const CHECKPOINT_MAGIC = 'NSTK';

interface TabularModelHeader extends Omit<TabularModel, 'params'> {
  kind: 'tabular-mlp';
  activation: 'relu';
}

export interface EncodedTabularModel {
  bytes: Buffer;
  sha256: string;
  formatVersion: number;
}

export function encodeTabularModel(model: TabularModel): EncodedTabularModel {
  checkTabularModel(model);
  const { params, ...rest } = model;
  const header: TabularModelHeader = { kind: 'tabular-mlp', activation: 'relu', ...rest };
  const bytes = encodeEnvelope(MODEL_MAGIC, TABULAR_MODEL_FORMAT_VERSION, header, [params]);
  return { bytes, sha256: sha256Hex(bytes), formatVersion: TABULAR_MODEL_FORMAT_VERSION };
}

/** Decodes a model file; `expectedSha256` (the registry's record) is checked too. */
export function decodeTabularModel(bytes: Uint8Array, what = 'tabular model file', expectedSha256?: string): TabularModel {
  if (expectedSha256 !== undefined && sha256Hex(bytes) !== expectedSha256) {
    throw new MlError('ModelCorrupted', `${what}: stored bytes do not match the recorded sha256 ${expectedSha256}`);
  }
  const { header, arrays } = decodeEnvelope<TabularModelHeader>(bytes, MODEL_MAGIC, [TABULAR_MODEL_FORMAT_VERSION], what);
  if (header.kind !== 'tabular-mlp' || header.activation !== 'relu' || arrays.length !== 1) {
    throw new MlError('ModelCorrupted', `${what}: not a tabular-mlp model`);
  }
  const model: TabularModel = {
    task: header.task,
    schema: parseSchema(header.schema, `${what}: schema`),
    preprocessor: parsePreprocessor(header.preprocessor, `${what}: preprocessor`),
    labels: header.labels,
    target: header.target,
    layers: header.layers,
    params: arrays[0],
  };
  checkTabularModel(model, what);
  return model;
}

type CheckpointHeader = Omit<TabularTrainingState, 'params' | 'm' | 'v'>;

export function encodeTabularCheckpoint(state: TabularTrainingState): Buffer {
  const { params, m, v, ...header } = state;
  return deflateRawSync(encodeEnvelope(CHECKPOINT_MAGIC, TABULAR_CHECKPOINT_FORMAT_VERSION, header, [params, m, v]), { level: 1 });
}

export function decodeTabularCheckpoint(compressed: Uint8Array, what = 'tabular training checkpoint'): TabularTrainingState {
  let bytes: Buffer;
  try {
    bytes = inflateRawSync(compressed);
  } catch {
    throw new MlError('ModelCorrupted', `${what} is not valid deflate data`);
  }
  const { header, arrays } = decodeEnvelope<CheckpointHeader & { arrayLengths?: number[] }>(
    bytes,
    CHECKPOINT_MAGIC,
    [TABULAR_CHECKPOINT_FORMAT_VERSION],
    what,
  );
  const { arrayLengths: _lengths, ...rest } = header;
  const [params, m, v] = arrays;
  const state: TabularTrainingState = {
    ...rest,
    schema: parseSchema(rest.schema, `${what}: schema`),
    preprocessor: parsePreprocessor(rest.preprocessor, `${what}: preprocessor`),
    options: resolveTabularTrainOptions(rest.options),
    params,
    m,
    v,
  };
  if (m?.length !== params?.length || v?.length !== params?.length)
    throw new MlError('ModelCorrupted', `${what}: parameter and moment counts differ`);
  checkTabularModel({ ...state }, what);
  return state;
}

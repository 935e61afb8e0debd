/**
 * Pins the trained model bit for bit: a sha256 of the model file (and of the full training state:
 * weights, Adam moments, bias, step) for fixed synthetic rows and the default training options. The
 * digests were computed on the trainer before its inner loop was reworked for speed (issue 22), so
 * any change that alters a single bit of the arithmetic or its order fails here.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolveFeaturizerOptions } from '../../ml/hashing-vectorizer.ts';
import { encodeModel } from '../../ml/model-file.ts';
import { Rng } from '../../ml/rng.ts';
import { selectRows, type CsrMatrix } from '../../ml/sparse.ts';
import { classCountsOf, trainOnSource, trainSoftmax, type TrainingSource, type TrainingState } from '../../ml/train.ts';
import type { TrainOptions } from '../../ml/train-options.ts';

/**
 * Sparse rows with a learnable signal: each class owns a range of buckets, every row also has noise
 * buckets; values are positive, row-normalized to unit L2 norm as the featurizer does. Up to 120
 * features a row over 8192 buckets, so a 64-row mini-batch touches more than 4096 features (the
 * trainer's initial scratch size) and its buffers grow.
 */
function syntheticRows(n: number, K: number, buckets: number, seed: number): { x: CsrMatrix; y: Int32Array } {
  const rng = new Rng(seed);
  const indptr = new Int32Array(n + 1);
  const indices: number[] = [];
  const values: number[] = [];
  const y = new Int32Array(n);
  const band = Math.floor(buckets / (2 * K));
  for (let r = 0; r < n; r++) {
    const k = rng.nextInt(K);
    // One label in five is noise, so validation loss turns and early stopping ends the run.
    y[r] = rng.next() < 0.2 ? rng.nextInt(K) : k;
    const length = 10 + rng.nextInt(110);
    const row = new Map<number, number>();
    for (let i = 0; i < length; i++) {
      const j = rng.next() < 0.4 ? k * band + rng.nextInt(band) : K * band + rng.nextInt(buckets - K * band);
      row.set(j, (row.get(j) ?? 0) + 0.5 + rng.next());
    }
    const sorted = [...row.entries()].sort((a, b) => a[0] - b[0]);
    const norm = Math.sqrt(sorted.reduce((s, [, v]) => s + v * v, 0));
    for (const [j, v] of sorted) {
      indices.push(j);
      values.push(v / norm);
    }
    indptr[r + 1] = indices.length;
  }
  return { x: { rows: n, cols: buckets, indptr, indices: Int32Array.from(indices), values: Float32Array.from(values) }, y };
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function stateDigest(state: TrainingState): string {
  const h = createHash('sha256');
  for (const a of [state.params, state.bias, state.mBias, state.vBias]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  h.update(JSON.stringify({ epoch: state.epoch, step: state.step, rng: state.rngState, history: state.history }));
  return h.digest('hex');
}

const featurizer = resolveFeaturizerOptions({ buckets: 8192, idf: false, charNgrams: 'off' });

async function digests(
  K: number,
  binaryAsSoftmax = false,
  options: Partial<TrainOptions> = {},
): Promise<{ model: string; state: string; epochs: number }> {
  const { x, y } = syntheticRows(900, K, featurizer.buckets, 20261203 + K);
  const labels = Array.from({ length: K }, (_, k) => `class${k}`);
  const { model, state } = await trainSoftmax({ x, y, labels, featurizer, binaryAsSoftmax, options });
  return { model: sha256(encodeModel(model).bytes), state: stateDigest(state), epochs: state.epoch };
}

describe('trained model digest (fixed synthetic rows)', () => {
  it('binary, one weight column, default options', async () => {
    expect(await digests(2)).toEqual({
      model: 'cadd89517cb6bdb354365ee723a8c40cb95a750bb21ec5c1728ec264ecec9fae',
      state: '628bb8203ea62ddc1d3cd5563202a59c51c854c644ef5228f42b08ae3a9aceae',
      epochs: 5,
    });
  });

  it('binary as a two-column softmax, default options', async () => {
    expect(await digests(2, true)).toEqual({
      model: 'b9dd2f3174805a48e16f022908f1bbace06f9d62fe1f1998ed601acc3fc8b5ed',
      state: 'c218942a048b2fdc5cadd0f6b7c435100691f351d69333c566fd2a4e5495d1b5',
      epochs: 3,
    });
  });

  it('five classes (softmax), default options', async () => {
    expect(await digests(5)).toEqual({
      model: '51f6f918c2a6c5130f2ffc536033e6ab08b9667e8ef82ad298d85ced99fcdde3',
      state: '466dc7e71d6c7397412fb90bb71b9497db7fb9693840cf03112f8e8e61f57376',
      epochs: 6,
    });
  });

  it('binary and five classes with class weights, weight decay and a ragged batch size', async () => {
    const options: Partial<TrainOptions> = { classWeights: 'balanced', weightDecay: 1e-3, batchSize: 7, epochs: 3, earlyStopping: false };
    expect(await digests(2, false, options)).toEqual({
      model: 'b768db0abbe8579bcc5f6db6f105b84375c61d01fdd2611d63110b2ee6568d2a',
      state: '7de5eb76641599d38f8b9a4ec64eca945f0899b54e447f1ebb91edc833050fc2',
      epochs: 3,
    });
    expect(await digests(5, false, options)).toEqual({
      model: '0ed274173698850b7bdf73c447a4db86fc853533bbf52a25ff1ff33e6805eab0',
      state: 'be06d69cb1c786e6ac0fd36cb9a185d164398c4f6931d65c3a0722bf19a23744',
      epochs: 3,
    });
  });

  it('a source of several blocks an epoch, rebuilt each epoch, with a validation block of its own', async () => {
    expect(await blockDigests(2)).toEqual({
      model: 'f915c9501b4438f06629a296fea1ad8601573cb4fbeeb9152c0a8923e1ab6100',
      state: '30b3c3e7719b870b2a91146ba010cc68fbef93421188512b38e80d8d9c2c6492',
      epochs: 7,
    });
    expect(await blockDigests(5)).toEqual({
      model: '8919e8450803d6e579884cb65f92240ad62d88dd867ac5c6e749ac00a655a143',
      state: '31516aa8ecb2e87440f15809e73ce0f55ad458241903dece24ca12e80391255a',
      epochs: 6,
    });
  });
});

/**
 * As a streamed source: every tenth row held out as its own block; the others split into three
 * blocks by position (so later blocks bring features earlier ones lacked), each epoch visiting them
 * in an rng-chosen order, each block a new matrix every epoch, its rows shuffled.
 */
async function blockDigests(K: number): Promise<{ model: string; state: string; epochs: number }> {
  const { x, y } = syntheticRows(900, K, featurizer.buckets, 20261231 + K);
  const labels = Array.from({ length: K }, (_, k) => `class${k}`);
  const all = Array.from({ length: x.rows }, (_, i) => i);
  const validationRows = all.filter((i) => i % 10 === 0);
  const trainRows = all.filter((i) => i % 10 !== 0);
  const third = Math.ceil(trainRows.length / 3);
  const parts = [0, 1, 2].map((b) => trainRows.slice(b * third, (b + 1) * third));
  const block = (rows: number[]) => ({
    x: selectRows(x, rows),
    y: Int32Array.from(rows, (i) => y[i]),
    rows: Int32Array.from(rows, (_, i) => i),
  });
  const source: TrainingSource = {
    totalRows: x.rows,
    classCounts: classCountsOf(y, K),
    validation: block(validationRows),
    async *epoch(rng: Rng) {
      const visit = rng.shuffle(Int32Array.from([0, 1, 2]));
      for (const b of visit) {
        const built = block(parts[b]);
        yield { block: built, order: rng.shuffle(built.rows.slice()) };
      }
    },
  };
  const { model, state } = await trainOnSource({ source, labels, featurizer });
  return { model: sha256(encodeModel(model).bytes), state: stateDigest(state), epochs: state.epoch };
}

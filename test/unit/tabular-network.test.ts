import { describe, expect, it } from 'vitest';
import { Rng } from '../../ml/rng.ts';
import { Network, initialParameters, layerSizes, parameterCount, rowLoss, type TabularLoss } from '../../ml/tabular/network.ts';

/** Mean loss over the rows and its gradient by the network's backward pass. */
function lossAndGrad(
  net: Network,
  params: Float32Array,
  x: Float32Array,
  y: number[],
  loss: TabularLoss,
): { loss: number; grad: Float64Array } {
  const grad = new Float64Array(params.length);
  const outGrad = new Float64Array(net.sizes[net.sizes.length - 1]);
  let total = 0;
  y.forEach((t, r) => {
    total += rowLoss(loss, net.forward(params, x, r), t, 0.7, outGrad);
    net.backward(params, outGrad, 1 / y.length, grad);
  });
  return { loss: total / y.length, grad };
}

describe('the tabular network', () => {
  const rng = new Rng(3);
  const rows = 6;
  const x = Float32Array.from({ length: rows * 4 }, () => rng.next() * 2 - 1);

  for (const [loss, hidden, outputs, y] of [
    ['mse', [5, 3], 1, [0.5, -1, 2, 0, 1.5, -0.3]],
    ['huber', [4], 1, [3, -2, 0.1, 0, 1.5, -0.3]],
    ['cross-entropy', [5, 3], 3, [0, 2, 1, 1, 0, 2]],
    ['cross-entropy', [], 3, [0, 2, 1, 1, 0, 2]],
  ] as Array<[TabularLoss, number[], number, number[]]>) {
    it(`backward matches finite differences (${loss}, hidden ${JSON.stringify(hidden)})`, () => {
      const sizes = layerSizes(4, hidden, outputs);
      const net = new Network(sizes);
      const params = initialParameters(sizes, new Rng(11));
      // Non-zero biases so the ReLUs sit on both sides of 0.
      for (let i = 0; i < params.length; i++) if (params[i] === 0) params[i] = 0.1 * Math.sin(i);
      expect(params.length).toBe(parameterCount(sizes));
      const { grad } = lossAndGrad(net, params, x, y, loss);
      const h = 1e-2;
      for (let i = 0; i < params.length; i += Math.max(1, Math.floor(params.length / 25))) {
        const plus = Float32Array.from(params);
        const minus = Float32Array.from(params);
        plus[i] += h;
        minus[i] -= h;
        const numeric = (lossAndGrad(net, plus, x, y, loss).loss - lossAndGrad(net, minus, x, y, loss).loss) / (plus[i] - minus[i]);
        expect(Math.abs(numeric - grad[i])).toBeLessThan(2e-3 + 1e-2 * Math.abs(grad[i]));
      }
    });
  }

  it('initialises deterministically from the seed', () => {
    const sizes = layerSizes(4, [8], 2);
    const a = initialParameters(sizes, new Rng(5));
    const b = initialParameters(sizes, new Rng(5));
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(initialParameters(sizes, new Rng(6)).buffer))).toBe(false);
  });
});

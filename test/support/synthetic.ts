/** Labelled text with a learnable signal: each class has its own words, all share noise words. */
import { Rng } from '../../ml/rng.ts';

export function syntheticTexts(n: number, labels: string[], seed = 1, signal = 0.6): Array<{ text: string; label: string }> {
  const rng = new Rng(seed);
  const rows: Array<{ text: string; label: string }> = [];
  for (let i = 0; i < n; i++) {
    const k = rng.nextInt(labels.length);
    const words: string[] = [];
    const length = 8 + rng.nextInt(12);
    for (let w = 0; w < length; w++) {
      words.push(rng.next() < signal ? `${labels[k]}word${rng.nextInt(6)}` : `common${rng.nextInt(40)}`);
    }
    rows.push({ text: words.join(' '), label: labels[k] });
  }
  return rows;
}

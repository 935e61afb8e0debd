import { describe, expect, it } from 'vitest';
import { tokenize } from '../../ml/tokenize.ts';
import { murmur3String } from '../../ml/murmur3.ts';
import { bigramHash, CHAR_NGRAM_SEED_OFFSET, forEachTokenHash } from '../../ml/token-hasher.ts';
import { hashTexts, HashingVectorizer, resolveCharNgrams, resolveFeaturizerOptions } from '../../ml/hashing-vectorizer.ts';
import { MlError } from '../../ml/errors.ts';

const tokenizer = { bigrams: false, minTokenLength: 2, maxTokenLength: 40 };

describe('tokenizer', () => {
  it('keeps letters and digits of any script, lowercased', () => {
    expect(tokenize('Hello, WORLD! Ünïcode 日本語 café 42x')).toEqual(['hello', 'world', 'ünïcode', '日本語', 'café', '42x']);
  });

  it('splits e-mail headers and HTML into words', () => {
    expect(tokenize('From: Bob <bob@example.com>\n<b>FREE</b>&nbsp;money')).toEqual([
      'from',
      'bob',
      'bob',
      'example',
      'com',
      'free',
      'nbsp',
      'money',
    ]);
  });

  it('drops tokens outside the length bounds and adds bigrams when asked', () => {
    expect(tokenize('a bb ' + 'c'.repeat(41))).toEqual(['bb']);
    expect(tokenize('one two three', { bigrams: true })).toEqual(['one', 'two', 'one two', 'three', 'two three']);
  });

  it('tokenizes a 10 MB text in linear time', () => {
    const text = 'word '.repeat(2_000_000);
    let n = 0;
    forEachTokenHash(text, tokenizer, 0, () => n++);
    expect(n).toBe(2_000_000);
  });
});

describe('one-pass hashing', () => {
  const texts = [
    'Hello, WORLD! The quick brown fox.',
    'Ünïcode ÀÉÎ 日本語のテキスト café naïve',
    '\u{1F600} emoji \u{1D400}\u{1D401} math letters',
    'mixed123 tokens_with_underscores and-dashes',
    'lone \ud800 surrogate',
  ];
  it('emits exactly murmur3 of each token the tokenizer produces', () => {
    for (const text of texts) {
      const hashes: number[] = [];
      forEachTokenHash(text, tokenizer, 17, (h) => hashes.push(h));
      expect(hashes, text).toEqual(tokenize(text, tokenizer).map((t) => murmur3String(t, 17)));
    }
  });

  it('emits bigram hashes of adjacent unigram hashes', () => {
    const hashes: number[] = [];
    forEachTokenHash('aa bb cc', { ...tokenizer, bigrams: true }, 0, (h) => hashes.push(h));
    const [a, b, c] = ['aa', 'bb', 'cc'].map((t) => murmur3String(t));
    expect(hashes).toEqual([a, b, bigramHash(a, b), c, bigramHash(b, c)]);
  });
});

describe('hashing vectorizer', () => {
  it('produces sorted, L2-normalised rows with log1p weights', () => {
    const x = hashTexts(['spam spam spam eggs', 'eggs'], { buckets: 1 << 10 });
    expect(x.rows).toBe(2);
    const row0 = Array.from(x.indices.subarray(x.indptr[0], x.indptr[1]));
    expect(row0).toEqual([...row0].sort((a, b) => a - b));
    const values = Array.from(x.values.subarray(x.indptr[0], x.indptr[1]));
    const norm = Math.sqrt(values.reduce((s, v) => s + v * v, 0));
    expect(norm).toBeCloseTo(1, 6);
    const spam = murmur3String('spam') % 1024;
    const eggs = murmur3String('eggs') % 1024;
    const weight = (j: number): number => values[row0.indexOf(j)];
    expect(weight(spam) / weight(eggs)).toBeCloseTo(Math.log1p(3) / Math.log1p(1), 5);
    expect(Array.from(x.values.subarray(x.indptr[1], x.indptr[2]))).toEqual([1]);
  });

  it('supports binary and count weighting without normalisation', () => {
    const binary = hashTexts(['aa aa bb'], { buckets: 1 << 12, weighting: 'binary', normalize: false });
    expect(Array.from(binary.values)).toEqual([1, 1]);
    const count = hashTexts(['aa aa bb'], { buckets: 1 << 12, weighting: 'count', normalize: false });
    expect(Array.from(count.values).sort()).toEqual([1, 2]);
  });

  it('gives an empty row for a text with no tokens, and reuses its scratch space cleanly', () => {
    const v = new HashingVectorizer({ buckets: 256, idf: false, charNgrams: 'off' });
    const a = v.transform(['!!! ...', 'hello there']);
    const b = v.transform(['hello there']);
    expect(a.indptr[1] - a.indptr[0]).toBe(0);
    expect(Array.from(a.values.subarray(a.indptr[1]))).toEqual(Array.from(b.values));
  });

  it('checks its options', () => {
    expect(() => resolveFeaturizerOptions({ buckets: 0 })).toThrow(MlError);
    expect(() => resolveFeaturizerOptions({ weighting: 'tfidf' as 'binary' })).toThrow(/weighting must be/);
  });
});

describe('character n-grams and IDF', () => {
  const B = 1 << 20;
  const bucket = (s: string, seed: number): number => murmur3String(s, seed) % B;

  it("adds each word's padded character n-grams, hashed with their own seed (hand-worked)", () => {
    const x = hashTexts(['Ab'], { buckets: B, weighting: 'binary', normalize: false, charNgrams: 'on', charNgramMin: 2, charNgramMax: 5 });
    const c = CHAR_NGRAM_SEED_OFFSET;
    // " ab " has 2-grams " a", "ab", "b "; 3-grams " ab", "ab "; its 4-gram is the whole padded word, emitted once; no 5-grams.
    const expected = [bucket('ab', 0), ...[' a', 'ab', 'b ', ' ab', 'ab ', ' ab '].map((s) => bucket(s, c))];
    expect(Array.from(x.indices)).toEqual([...new Set(expected)].sort((a, b) => a - b));
    expect(Array.from(x.values)).toEqual(expected.map(() => 1));
  });

  it('gives the same hashes as murmur3 of the n-gram strings for non-ASCII words', () => {
    const x = hashTexts(['Ünï'], { buckets: B, weighting: 'binary', normalize: false, charNgrams: 'on', charNgramMin: 3, charNgramMax: 3 });
    const c = CHAR_NGRAM_SEED_OFFSET;
    const expected = [bucket('ünï', 0), ...[' ün', 'ünï', 'nï '].map((s) => bucket(s, c))];
    expect(Array.from(x.indices)).toEqual([...new Set(expected)].sort((a, b) => a - b));
  });

  it("settles 'auto' on the mean length of the training texts", () => {
    const o = resolveFeaturizerOptions();
    expect(o.charNgrams).toBe('auto');
    expect(resolveCharNgrams(o, ['Anna', 'Bob']).charNgrams).toBe('on');
    expect(resolveCharNgrams(o, ['x'.repeat(200), 'y'.repeat(10)]).charNgrams).toBe('off');
    expect(() => new HashingVectorizer(o)).toThrow(/must be settled on the training texts/);
  });

  it('weighs terms by smoothed IDF learnt from the training texts (hand-worked), and transforms later texts identically', () => {
    const options = { buckets: B, weighting: 'binary' as const, normalize: false, idf: true, charNgrams: 'off' as const };
    const v = new HashingVectorizer(options);
    const x = v.fitTransform(['aa bb', 'aa']);
    // n = 2; df(aa) = 2 -> ln(3/3) + 1 = 1; df(bb) = 1 -> ln(3/2) + 1.
    const value = (row: number, token: string): number => {
      const j = bucket(token, 0);
      for (let p = x.indptr[row]; p < x.indptr[row + 1]; p++) if (x.indices[p] === j) return x.values[p];
      return 0;
    };
    expect(value(0, 'aa')).toBeCloseTo(1, 6);
    expect(value(0, 'bb')).toBeCloseTo(Math.log(1.5) + 1, 6);
    expect(v.idf![bucket('zz', 0)]).toBeCloseTo(Math.log(3) + 1, 6);

    const normalized = new HashingVectorizer({ ...options, weighting: 'log1p', normalize: true });
    const texts = ['the cat sat', 'the cat the dog', 'a bird'];
    const fitted = normalized.fitTransform(texts);
    const again = new HashingVectorizer(normalized.options, normalized.idf).transform(texts);
    expect(Array.from(again.values)).toEqual(Array.from(fitted.values));
    expect(() => new HashingVectorizer(options).transform(['aa'])).toThrow(/no IDF weights/);
  });
});

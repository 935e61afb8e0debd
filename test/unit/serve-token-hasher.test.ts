/**
 * The serving-speed work on the hashing loop (four ASCII characters per murmur3 block, no hashing
 * past maxTokenLength) must not change one feature: forEachTokenHash against a reference built
 * from the tokenizer and murmur3String, on SpamAssassin messages and on texts made to put token
 * ends, non-ASCII characters and the length cut-off at every offset of a block.
 */
import { describe, expect, it } from 'vitest';
import { spamAssassinSplit } from '../../data/spam-assassin.ts';
import { murmur3String } from '../../ml/murmur3.ts';
import { bigramHash, CHAR_NGRAM_SEED_OFFSET, forEachTokenHash, type CharNgramRange } from '../../ml/token-hasher.ts';
import { tokenize, type TokenizerOptions } from '../../ml/tokenize.ts';

/** What forEachTokenHash must emit, from token strings. */
function reference(text: string, o: TokenizerOptions, seed: number, chars?: CharNgramRange): number[] {
  const out: number[] = [];
  let previous = -1;
  for (const token of tokenize(text, { ...o, bigrams: false })) {
    const h = murmur3String(token, seed);
    out.push(h);
    if (o.bigrams) {
      if (previous !== -1) out.push(bigramHash(previous, h));
      previous = h;
    }
    if (chars) {
      const padded = [...` ${token} `];
      for (let len = chars.min; len <= chars.max; len++) {
        if (padded.length <= len) {
          out.push(murmur3String(padded.join(''), (seed + CHAR_NGRAM_SEED_OFFSET) >>> 0));
          break;
        }
        for (let s = 0; s + len <= padded.length; s++) {
          out.push(murmur3String(padded.slice(s, s + len).join(''), (seed + CHAR_NGRAM_SEED_OFFSET) >>> 0));
        }
      }
    }
  }
  return out;
}

const hashes = (text: string, o: TokenizerOptions, seed: number, chars?: CharNgramRange): number[] => {
  const out: number[] = [];
  forEachTokenHash(text, o, seed, (h) => out.push(h), chars);
  return out;
};

const CONFIGS: Array<{ name: string; o: TokenizerOptions; chars?: CharNgramRange }> = [
  { name: 'defaults', o: { bigrams: false, minTokenLength: 2, maxTokenLength: 40 } },
  { name: 'bigrams', o: { bigrams: true, minTokenLength: 2, maxTokenLength: 40 } },
  { name: 'character n-grams', o: { bigrams: false, minTokenLength: 2, maxTokenLength: 40 }, chars: { min: 2, max: 4 } },
  { name: 'short bounds', o: { bigrams: true, minTokenLength: 1, maxTokenLength: 5 }, chars: { min: 1, max: 3 } },
  { name: 'cut-off inside a block', o: { bigrams: true, minTokenLength: 3, maxTokenLength: 6 } },
];

/** Tokens of every length 1..46 with a non-ASCII or upper-case character at each offset, and separators of each kind. */
function edgeTexts(): string[] {
  const texts: string[] = [];
  for (let len = 1; len <= 46; len++) {
    const word = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(2).slice(0, len);
    texts.push(`${word} ${word.toUpperCase()},${word}\n${word}`);
    for (let at = 0; at < Math.min(len, 9); at++) {
      for (const ch of ['é', 'İ', 'ß', '日', '\u{1F600}', '\u{1D400}', 'Z', '\ud800', '-']) {
        texts.push(word.slice(0, at) + ch + word.slice(at) + ' x' + word);
      }
    }
  }
  texts.push('', ' ', 'a', 'ab', 'abc', 'abcd', 'abcde', 'x'.repeat(41), 'y'.repeat(40), 'aa ' + 'b'.repeat(45) + ' cc');
  return texts;
}

describe('forEachTokenHash: the same features as the tokenizer and murmur3 of each token', () => {
  const mail = spamAssassinSplit()
    .test.slice(0, 150)
    .map((m) => m.text);
  for (const c of CONFIGS) {
    it(`${c.name}: crafted edge texts`, () => {
      for (const text of edgeTexts())
        expect(hashes(text, c.o, 17, c.chars), JSON.stringify(text)).toEqual(reference(text, c.o, 17, c.chars));
    });
    it(`${c.name}: SpamAssassin messages`, () => {
      for (const text of mail) expect(hashes(text, c.o, 0, c.chars)).toEqual(reference(text, c.o, 0, c.chars));
    });
  }
});

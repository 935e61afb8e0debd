/**
 * Tokenize and hash in one pass, without building token strings: the hot loop of featurization.
 * For every token `forEachToken` would produce, it emits murmur3String(token, seed) computed on the
 * fly from the lowercased UTF-8 bytes; a bigram "a b" is emitted as bigramHash(h(a), h(b)) rather
 * than the hash of the joined string, which would need the bytes of `a` again. ASCII takes a
 * table-driven fast path; other characters are classified and lowercased once and cached.
 */
import type { TokenizerOptions } from './tokenize.ts';

/** Per ASCII code: 0 when not a word character, else its lowercase code (one lookup does both). */
const ASCII_LOWER = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  ASCII_LOWER[c] = (c >= 48 && c <= 57) || (c >= 97 && c <= 122) ? c : c >= 65 && c <= 90 ? c + 32 : 0;
}
const WORD_CHAR = /^[\p{L}\p{M}\p{N}]$/u;
/** Per code point: '' when not a word character, else its lowercase form. */
const nonAsciiCache = new Map<number, string>();

function classifyNonAscii(cp: number): string {
  let lower = nonAsciiCache.get(cp);
  if (lower === undefined) {
    const ch = String.fromCodePoint(cp);
    lower = WORD_CHAR.test(ch) ? ch.toLowerCase() : '';
    nonAsciiCache.set(cp, lower);
  }
  return lower;
}

/** Combines the hashes of two adjacent tokens into the bigram's feature hash (murmur3 fmix). */
export function bigramHash(a: number, b: number): number {
  let h = (Math.imul(a, 0x9e3779b1) ^ b ^ 0x20) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Character n-grams of each word, padded with a space on either side (scikit-learn's `char_wb`). */
export interface CharNgramRange {
  /** Shortest n-gram, >= 1. */
  min: number;
  /** Longest n-gram, >= min. */
  max: number;
}

/** Seed offset of character n-gram hashes, so the n-gram "cat" and the word "cat" are different features. */
export const CHAR_NGRAM_SEED_OFFSET = 0x5f3759df;

/** MurmurHash3 x86 32 over the UTF-8 bytes of code points cps[start..start+length). */
export function murmur3CodePoints(cps: Int32Array, start: number, length: number, seed: number): number {
  let h = seed >>> 0;
  let k = 0;
  let shift = 0;
  let bytes = 0;
  const mix = (byte: number): void => {
    k |= byte << shift;
    shift += 8;
    bytes++;
    if (shift === 32) {
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
      k = 0;
      shift = 0;
    }
  };
  for (let i = start; i < start + length; i++) {
    const c = cps[i];
    if (c < 0x80) mix(c);
    else if (c < 0x800) {
      mix(0xc0 | (c >> 6));
      mix(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      mix(0xe0 | (c >> 12));
      mix(0x80 | ((c >> 6) & 0x3f));
      mix(0x80 | (c & 0x3f));
    } else {
      mix(0xf0 | (c >> 18));
      mix(0x80 | ((c >> 12) & 0x3f));
      mix(0x80 | ((c >> 6) & 0x3f));
      mix(0x80 | (c & 0x3f));
    }
  }
  if (shift > 0) {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= bytes;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

let charBuffer = new Int32Array(64);
const utf8 = new Int32Array(4);

/** UTF-8 bytes of code point `c` into `utf8`; returns their number. */
function encodeUtf8(c: number): number {
  if (c < 0x80) {
    utf8[0] = c;
    return 1;
  }
  if (c < 0x800) {
    utf8[0] = 0xc0 | (c >> 6);
    utf8[1] = 0x80 | (c & 0x3f);
    return 2;
  }
  if (c < 0x10000) {
    utf8[0] = 0xe0 | (c >> 12);
    utf8[1] = 0x80 | ((c >> 6) & 0x3f);
    utf8[2] = 0x80 | (c & 0x3f);
    return 3;
  }
  utf8[0] = 0xf0 | (c >> 18);
  utf8[1] = 0x80 | ((c >> 12) & 0x3f);
  utf8[2] = 0x80 | ((c >> 6) & 0x3f);
  utf8[3] = 0x80 | (c & 0x3f);
  return 4;
}

/** murmur3's tail and finalisation of a token's running state. */
function finalize(h: number, k: number, shift: number, bytes: number): number {
  if (shift > 0) {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= bytes;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Emits, for every token (after the length filter), its word hash, the bigram hash when bigrams are
 * on, and when `charNgrams` is given the hash of each character n-gram of " token " (seeded with
 * seed + CHAR_NGRAM_SEED_OFFSET). A padded token shorter than n is emitted once whole, as scikit-learn does.
 * The hash state lives in locals, not in closures (whose variables live in a context object): this
 * loop is most of featurization's time.
 */
export function forEachTokenHash(
  text: string,
  options: TokenizerOptions,
  seed: number,
  onHash: (hash: number) => void,
  charNgrams?: CharNgramRange,
): void {
  const { minTokenLength, maxTokenLength, bigrams } = options;
  const charMin = charNgrams?.min ?? 0;
  const charMax = charNgrams?.max ?? 0;
  const charSeed = (seed + CHAR_NGRAM_SEED_OFFSET) >>> 0;
  const seed32 = seed >>> 0;
  let cps = charBuffer;
  let ncp = 1; // cps[0] is the leading space
  cps[0] = 32;
  let h = seed32;
  let k = 0;
  let shift = 0;
  let bytes = 0;
  let units = 0; // UTF-16 length of the lowercased token
  let previous = -1;

  const n = text.length;
  // A token longer than this is dropped (and emits nothing, not even its n-grams or a bigram), so
  // the rest of its ASCII characters are only counted, not hashed: base64 blobs and long URLs.
  const maxUnits = maxTokenLength;
  // i === n is a virtual separator that ends the last token.
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 32;
    if (c < 128) {
      const lc = ASCII_LOWER[c];
      if (lc !== 0) {
        if (units++ >= maxUnits) continue;
        // At a block boundary, take four ASCII word characters as one murmur3 block when they are.
        if (shift === 0 && i + 3 < n && units + 3 <= maxUnits) {
          const c1 = text.charCodeAt(i + 1);
          const c2 = text.charCodeAt(i + 2);
          const c3 = text.charCodeAt(i + 3);
          if ((c1 | c2 | c3) < 128) {
            const l1 = ASCII_LOWER[c1];
            const l2 = ASCII_LOWER[c2];
            const l3 = ASCII_LOWER[c3];
            if (l1 !== 0 && l2 !== 0 && l3 !== 0) {
              k = lc | (l1 << 8) | (l2 << 16) | (l3 << 24);
              k = Math.imul(k, 0xcc9e2d51);
              k = (k << 15) | (k >>> 17);
              k = Math.imul(k, 0x1b873593);
              h ^= k;
              h = (h << 13) | (h >>> 19);
              h = (Math.imul(h, 5) + 0xe6546b64) | 0;
              k = 0;
              bytes += 4;
              units += 3;
              i += 3;
              if (charMin > 0) {
                if (ncp + 4 >= cps.length) {
                  const grown = new Int32Array(cps.length * 2);
                  grown.set(cps);
                  cps = charBuffer = grown;
                }
                cps[ncp++] = lc;
                cps[ncp++] = l1;
                cps[ncp++] = l2;
                cps[ncp++] = l3;
              }
              continue;
            }
          }
        }
        k |= lc << shift;
        shift += 8;
        bytes++;
        if (shift === 32) {
          k = Math.imul(k, 0xcc9e2d51);
          k = (k << 15) | (k >>> 17);
          k = Math.imul(k, 0x1b873593);
          h ^= k;
          h = (h << 13) | (h >>> 19);
          h = (Math.imul(h, 5) + 0xe6546b64) | 0;
          k = 0;
          shift = 0;
        }
        if (charMin > 0) {
          if (ncp + 1 >= cps.length) {
            const grown = new Int32Array(cps.length * 2);
            grown.set(cps);
            cps = charBuffer = grown;
          }
          cps[ncp++] = lc;
        }
        continue;
      }
    } else {
      let cp = c;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const lo = text.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
          i++;
        }
      }
      const lower = classifyNonAscii(cp);
      if (lower !== '') {
        for (let j = 0; j < lower.length; j++) {
          let lc = lower.charCodeAt(j);
          if (lc >= 0xd800 && lc <= 0xdbff && j + 1 < lower.length) {
            lc = 0x10000 + ((lc - 0xd800) << 10) + (lower.charCodeAt(j + 1) - 0xdc00);
            j++;
          }
          const nb = encodeUtf8(lc);
          for (let b = 0; b < nb; b++) {
            k |= utf8[b] << shift;
            shift += 8;
            bytes++;
            if (shift === 32) {
              k = Math.imul(k, 0xcc9e2d51);
              k = (k << 15) | (k >>> 17);
              k = Math.imul(k, 0x1b873593);
              h ^= k;
              h = (h << 13) | (h >>> 19);
              h = (Math.imul(h, 5) + 0xe6546b64) | 0;
              k = 0;
              shift = 0;
            }
          }
          if (charMin > 0) {
            if (ncp + 1 >= cps.length) {
              const grown = new Int32Array(cps.length * 2);
              grown.set(cps);
              cps = charBuffer = grown;
            }
            cps[ncp++] = lc;
          }
        }
        units += lower.length;
        continue;
      }
    }
    // A separator: the token, if any, ends here.
    if (units === 0) continue;
    if (units >= minTokenLength && units <= maxTokenLength) {
      const hash = finalize(h, k, shift, bytes);
      onHash(hash);
      if (bigrams) {
        if (previous !== -1) onHash(bigramHash(previous, hash));
        previous = hash;
      }
      if (charMin > 0) {
        cps[ncp++] = 32;
        for (let len = charMin; len <= charMax; len++) {
          if (ncp <= len) {
            onHash(murmur3CodePoints(cps, 0, ncp, charSeed));
            break;
          }
          for (let s0 = 0; s0 + len <= ncp; s0++) onHash(murmur3CodePoints(cps, s0, len, charSeed));
        }
      }
    }
    ncp = 1;
    h = seed32;
    k = 0;
    shift = 0;
    bytes = 0;
    units = 0;
  }
}

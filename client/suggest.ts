/**
 * "Did you mean": the known word a user most likely meant, when it is near enough to be a typo.
 *
 * Ranked by Damerau-Levenshtein distance (optimal string alignment: an insertion, a deletion, a
 * substitution or a swap of two neighbours is one edit), then by the length of the common prefix
 * (people mistype the end of a word more than its start), then by the difference in length (a
 * swap keeps the length: `--modle` is `--model` typed fast, not `--mode` with a stray letter).
 * A word that starts a known one (three letters at least: `--req` for `--require-approval`)
 * counts as near. Leading dashes are not part of the comparison.
 */

/** Edits from `a` to `b`, a swap of neighbours counting as one. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

const bare = (word: string): string => word.replace(/^-+/, '').toLowerCase();

function commonPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

interface Ranked {
  candidate: string;
  distance: number;
  prefix: number;
  lengthDifference: number;
}

/** Every candidate with its ranking keys, most likely first (ties keep the order of `known`). */
export function rankCandidates(word: string, known: readonly string[]): Ranked[] {
  const w = bare(word);
  return known
    .map((candidate) => {
      const c = bare(candidate);
      // An abbreviation is as near as one edit.
      const abbreviation = w.length >= 3 && c.startsWith(w);
      return {
        candidate,
        distance: abbreviation ? Math.min(1, editDistance(w, c)) : editDistance(w, c),
        prefix: commonPrefix(w, c),
        lengthDifference: Math.abs(w.length - c.length),
      };
    })
    .sort((x, y) => x.distance - y.distance || y.prefix - x.prefix || x.lengthDifference - y.lengthDifference);
}

/** The most likely of `known` (within a third of the word's length in edits, at least 1, at most 3), or null. */
export function nearest(word: string, known: readonly string[]): string | null {
  const [best] = rankCandidates(word, known);
  if (!best) return null;
  const limit = Math.min(3, Math.max(1, Math.floor(bare(word).length / 3)));
  return best.distance <= limit ? best.candidate : null;
}

/** " (did you mean X?)" or "". */
export function didYouMean(word: string, known: readonly string[]): string {
  const match = nearest(word, known);
  return match ? ` (did you mean ${match}?)` : '';
}

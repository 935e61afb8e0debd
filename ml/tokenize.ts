/**
 * Unicode-aware word tokens: maximal runs of letters, marks and digits of any script, lowercased.
 * A regex with no nested quantifiers, so e-mail headers, HTML and multi-megabyte inputs tokenize in
 * linear time.
 */
export interface TokenizerOptions {
  /** Add word bigrams ("a b") after the unigrams. Default false. */
  bigrams: boolean;
  /** Tokens shorter than this are dropped. Default 2, as scikit-learn's default token pattern. */
  minTokenLength: number;
  /** Tokens longer than this are dropped (base64 blobs, long URLs). Default 40. */
  maxTokenLength: number;
}

export const defaultTokenizerOptions: TokenizerOptions = {
  bigrams: false,
  minTokenLength: 2,
  maxTokenLength: 40,
};

const WORD = /[\p{L}\p{M}\p{N}]+/gu;

/** Lowercases character by character (no context rules such as Greek final sigma), as the hasher does. */
function lowercaseEachCharacter(token: string): string {
  let ascii = true;
  for (let i = 0; i < token.length; i++) if (token.charCodeAt(i) >= 128) ascii = false;
  if (ascii) return token.toLowerCase();
  let out = '';
  for (const ch of token) out += ch.toLowerCase();
  return out;
}

/** Calls `onToken` for each token in order, bigrams included; allocates no token array. */
export function forEachToken(text: string, options: TokenizerOptions, onToken: (token: string) => void): void {
  let previous: string | null = null;
  for (const match of text.matchAll(WORD)) {
    const token = lowercaseEachCharacter(match[0]);
    if (token.length < options.minTokenLength || token.length > options.maxTokenLength) continue;
    onToken(token);
    if (options.bigrams) {
      if (previous !== null) onToken(previous + ' ' + token);
      previous = token;
    }
  }
}

export function tokenize(text: string, options: Partial<TokenizerOptions> = {}): string[] {
  const tokens: string[] = [];
  forEachToken(text, { ...defaultTokenizerOptions, ...options }, (t) => tokens.push(t));
  return tokens;
}

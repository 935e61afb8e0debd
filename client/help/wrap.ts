/** Help text fits 100 columns. */
export const HELP_WIDTH = 100;

/**
 * `text` after `first` (a flag column, say), wrapped at word boundaries to `width` columns; later
 * lines are indented as far as `first` is long.
 */
export function wrap(text: string, first: string, width = HELP_WIDTH): string {
  const indent = ' '.repeat(first.length);
  const lines: string[] = [];
  let line = first;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const blank = line === first || line === indent;
    if (!blank && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else line += (blank ? '' : ' ') + word;
  }
  lines.push(line);
  return lines.join('\n');
}

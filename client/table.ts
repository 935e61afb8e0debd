/**
 * Plain-text tables for people: a header row, columns as wide as their widest cell, numbers
 * right-aligned. Given a width (the terminal's: process.stdout.columns when stdout is a TTY), a
 * table wider than that shrinks its widest shrinkable columns, cutting their cells with "…";
 * without one (output to a file or a pipe) nothing is cut. Colour codes take no width.
 */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
  align?: 'left' | 'right';
  /** May this column be cut to fit the width? Default: left-aligned columns may, right-aligned (numbers) not. */
  shrink?: boolean;
}

export interface TableOptions {
  /** Prefix of every line. */
  indent?: string;
  /** Fit into this many columns; null: never cut. Default: the terminal's width when stdout is a terminal. */
  width?: number | null;
}

/** The width to fit output to: the terminal's columns, or null when stdout is not a terminal. */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout): number | null {
  return stream.isTTY && stream.columns > 0 ? stream.columns : null;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Characters a cell takes on screen (colour codes take none). */
export const visibleLength = (s: string): number => s.replace(ANSI, '').length;

/** At most `width` visible characters; a cut cell ends in "…" (and loses its colour). */
export function cut(s: string, width: number): string {
  if (visibleLength(s) <= width) return s;
  const plain = s.replace(ANSI, '');
  return width <= 1 ? plain.slice(0, width) : `${plain.slice(0, width - 1)}…`;
}

/** The narrowest a shrinkable column gets: its header, and at least 8 characters. */
const MIN_SHRUNK = 8;

/** Column widths that fit `width` (when possible), taking from the widest shrinkable column first. */
export function fitWidths(natural: number[], minimum: number[], shrinkable: boolean[], width: number | null, fixed: number): number[] {
  const widths = [...natural];
  if (width === null) return widths;
  let over = fixed + widths.reduce((a, b) => a + b, 0) - width;
  while (over > 0) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if (shrinkable[i] && widths[i] > minimum[i] && (widest < 0 || widths[i] > widths[widest])) widest = i;
    }
    if (widest < 0) break;
    const secondWidest = Math.max(minimum[widest], ...widths.filter((w, i) => i !== widest && shrinkable[i]));
    const take = Math.min(over, Math.max(1, widths[widest] - secondWidest), widths[widest] - minimum[widest]);
    widths[widest] -= take;
    over -= take;
  }
  return widths;
}

export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], options: TableOptions | string = {}): string {
  const { indent = '', width = terminalWidth() } = typeof options === 'string' ? { indent: options } : options;
  const cells = rows.map((row) => columns.map((c) => format(c.value(row))));
  const natural = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => visibleLength(r[i]))));
  const widths = fitWidths(
    natural,
    columns.map((c) => Math.max(c.header.length, MIN_SHRUNK)),
    columns.map((c) => c.shrink ?? c.align !== 'right'),
    width,
    indent.length + 2 * (columns.length - 1),
  );
  const pad = (v: string, i: number): string => {
    const text = cut(v, widths[i]);
    const space = ' '.repeat(Math.max(0, widths[i] - visibleLength(text)));
    return columns[i].align === 'right' ? space + text : text + space;
  };
  const line = (values: string[]): string => (indent + values.map(pad).join('  ')).trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

function format(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  return String(v);
}

/**
 * Plain-text tables for people: a header row, columns as wide as their widest cell (so long model
 * names never break the layout), numbers right-aligned.
 */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
  align?: 'left' | 'right';
}

export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], indent = ''): string {
  const cells = rows.map((row) => columns.map((c) => format(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]): string =>
    indent +
    values
      .map((v, i) => (columns[i].align === 'right' ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

function format(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  return String(v);
}

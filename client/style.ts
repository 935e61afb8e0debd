/**
 * Colour for people at a terminal: only when stdout is a TTY, never with NO_COLOR set (any value,
 * per no-color.org) or TERM=dumb. JSON output never passes through here.
 */
const CODES = { red: 31, green: 32, yellow: 33, bold: 1, dim: 2 } as const;
export type Style = keyof typeof CODES;

export function colourEnabled(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

export function paint(text: string, style: Style, enabled = colourEnabled()): string {
  return enabled ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

/** An outcome coloured by what it means: promoted green, failed red, the rest yellow. */
export function paintOutcome(outcome: string, enabled = colourEnabled()): string {
  const style: Style = outcome === 'PROMOTED' ? 'green' : outcome === 'FAILED' || outcome === 'TIMED_OUT' ? 'red' : 'yellow';
  return paint(outcome, style, enabled);
}

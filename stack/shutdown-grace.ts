/** NIGHTSHIFT_SHUTDOWN_GRACE (default 10s): how long a shutdown may wait for work in flight. */

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** The grace as the worker takes it ("10s", "500ms", "1m") and in milliseconds. */
export function shutdownGrace(env: NodeJS.ProcessEnv = process.env): { text: string; ms: number } {
  const text = env.NIGHTSHIFT_SHUTDOWN_GRACE || '10s';
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`NIGHTSHIFT_SHUTDOWN_GRACE must be a duration like 10s, 500ms or 1m, got ${JSON.stringify(text)}`);
  const ms = Math.round(Number(m[1]) * UNITS_MS[m[2] ?? 'ms']);
  return { text: m[2] ? text.trim() : `${ms}ms`, ms };
}

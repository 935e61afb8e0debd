/**
 * Temporal's duration strings ("30s", "10m", "24 hours"), read by the `ms` package at the version
 * @temporalio/common pins, as its msToNumber does. The copy keeps the flag checks, which share this
 * folder's input rules, from loading the whole of @temporalio/common; test/unit/workflow-copies.test.ts
 * holds it to msToNumber on every probe.
 */
import ms from 'ms';

/** Milliseconds of a duration string (a number is taken as milliseconds); throws TypeError on one `ms` cannot read. */
export function durationMs(value: string | number): number {
  if (typeof value === 'number') return value;
  const millis = ms(value);
  if (millis == null || Number.isNaN(millis)) throw new TypeError(`Invalid duration string: '${value}'`);
  return millis;
}

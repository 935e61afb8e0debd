/** `--cron` as `schedule create|update` take it (no Temporal SDK here: the flag checks run before it loads). */
import { UsageError } from './usage-error.ts';

/** The named schedules a cron expression may be instead of five fields. */
export const CRON_NAMES = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'] as const;

/**
 * A cron expression as `--cron` takes it: five fields (minute hour day-of-month month day-of-week)
 * or a name such as @daily. Temporal would read six or seven fields as starting with seconds (a
 * run every second), so they are refused, naming the flag.
 */
export function checkCron(expr: string): string {
  const trimmed = expr.trim();
  if ((CRON_NAMES as readonly string[]).includes(trimmed)) return trimmed;
  const fields = trimmed.split(/\s+/).filter(Boolean);
  if (fields.length !== 5 || fields.some((f) => !/^[0-9A-Za-z*,/?-]+$/.test(f)))
    throw new UsageError(
      `invalid --cron ${JSON.stringify(expr)}: use 5 fields (minute hour day-of-month month day-of-week, e.g. "0 2 * * *") or one of ${CRON_NAMES.join(', ')}${fields.length > 5 ? ` (${fields.length} fields would start with seconds)` : ''}`,
    );
  return trimmed;
}

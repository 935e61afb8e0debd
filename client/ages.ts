/**
 * Times in tables as people read them: "12 s ago", "3 min ago", "5 h ago", "4 days ago" (and
 * "in 3 min" for a time ahead, say a clock a little off). The exact times stay in --json.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How long before `now` the time `at` was; null or an unreadable time gives null. */
export function formatAge(at: string | Date | null | undefined, now: number = Date.now()): string | null {
  if (at === null || at === undefined) return null;
  const t = at instanceof Date ? at.getTime() : Date.parse(at);
  if (Number.isNaN(t)) return typeof at === 'string' ? at : null;
  const ms = now - t;
  const span = Math.abs(ms);
  const text =
    span < MINUTE
      ? `${Math.floor(span / 1000)} s`
      : span < HOUR
        ? `${Math.floor(span / MINUTE)} min`
        : span < 2 * DAY
          ? `${Math.floor(span / HOUR)} h`
          : `${Math.floor(span / DAY)} days`;
  if (span < 1000) return 'just now';
  return ms >= 0 ? `${text} ago` : `in ${text}`;
}

// The `ms` package's own types (dist/index.d.ts) are not reachable through its package.json
// "exports" under NodeNext resolution; this states the one call workflows/durations.ts makes.
declare module 'ms' {
  /** Milliseconds of a duration string such as "10m" or "24 hours"; undefined or NaN when unreadable. */
  export default function ms(value: string): number | undefined;
}

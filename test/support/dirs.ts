import { chmodSync, mkdtempSync } from 'node:fs';

/**
 * A fresh temporary directory that other users may traverse. As root, the embedded PostgreSQL runs
 * as `postgres`; mkdtemp's 0700 would send its data to /var/lib/nightshift (kept, never cleaned)
 * instead of this directory, which the tests remove.
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(prefix);
  chmodSync(dir, 0o755);
  return dir;
}

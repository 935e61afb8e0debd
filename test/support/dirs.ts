import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SYSTEM_DIR } from '../../stack/pg-binaries.ts';
import { UNCLAIMED_DIR } from '../../stack/pg-server.ts';

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

/**
 * As root, a home's PostgreSQL data lives in /var/lib/nightshift/<id> (or, once its home is gone,
 * set aside in unclaimed/): nightshift never deletes it, so the tests remove the data of the homes
 * they made under `dir` themselves (call after those homes' servers stopped).
 */
export function removeSystemDataUnder(dir: string): void {
  for (const parent of [SYSTEM_DIR, UNCLAIMED_DIR]) {
    let entries: string[];
    try {
      entries = readdirSync(parent);
    } catch {
      continue;
    }
    for (const entry of entries) {
      let home: string;
      try {
        home = readFileSync(path.join(parent, entry, 'home'), 'utf8').trim();
      } catch {
        continue;
      }
      if (home.startsWith(path.resolve(dir) + path.sep)) rmSync(path.join(parent, entry), { recursive: true, force: true });
    }
  }
}

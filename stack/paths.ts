/** File-system checks the embedded stack needs when it runs as root and PostgreSQL as `postgres`. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

/** Whether a user other than the owner can reach `target`: every existing directory on the way lets others through. */
export function reachableByOthers(target: string): boolean {
  let current = path.resolve(target);
  for (;;) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

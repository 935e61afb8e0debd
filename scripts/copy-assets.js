#!/usr/bin/env node
// `npm run build`, after tsc: copies what the compiled code reads from beside itself (the SQL
// migrations, the dashboard's static files) into dist/.
import { cpSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
for (const dir of ['registry/migrations', 'serve/dashboard']) {
  cpSync(path.join(root, dir), path.join(root, 'dist', dir), { recursive: true });
}

// Loads an entry point of the compiled code in dist/, or says how to build it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');

export async function loadCompiled(entry) {
  const file = path.join(dist, entry);
  if (!existsSync(file)) {
    process.stderr.write(`nightshift: ${file} is missing: run \`npm run build\` (npm install runs it)\n`);
    process.exit(1);
  }
  await import(pathToFileURL(file).href);
}

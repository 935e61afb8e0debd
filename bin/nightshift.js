#!/usr/bin/env node
// The `nightshift` command: the compiled client (`npm run build`, run on `npm install`).
import { loadCompiled } from './load-compiled.js';

await loadCompiled('client/cli.js');

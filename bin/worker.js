#!/usr/bin/env node
// `npm run worker`: one Temporal worker process, from the compiled code.
import { loadCompiled } from './load-compiled.js';

await loadCompiled('worker/main.js');

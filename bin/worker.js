#!/usr/bin/env node
// `npm run worker`: one Temporal worker process, loaded through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../worker/main.ts');

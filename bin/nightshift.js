#!/usr/bin/env node
// The `nightshift` command: loads the TypeScript client through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../client/cli.ts');

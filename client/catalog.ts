/**
 * The commands of `nightshift`: name, group, one-line summary, and where their help and their code
 * live. Nothing here loads a command's code (the Temporal client and worker, Fastify, PostgreSQL):
 * `nightshift --help` reads this table alone, `help CMD` loads one help text, and a command's code
 * is imported when the command runs.
 */
import type { Config } from '../stack/config.ts';

/** The configuration, read (from the environment and the home's stack.json) when a command first needs it. */
export type ConfigSource = () => Promise<Config>;

export type CommandRun = (argv: string[], config: ConfigSource) => Promise<number>;

export const COMMAND_GROUPS = ['Start and serve', 'Retraining runs', 'Models and data', 'Watching production'] as const;

export interface CommandEntry {
  group: (typeof COMMAND_GROUPS)[number];
  summary: string;
  help: () => Promise<string>;
  run: CommandRun;
}

export const COMMANDS: Record<string, CommandEntry> = {
  up: {
    group: 'Start and serve',
    summary: 'start the embedded stack, a worker, the model server and one retraining run (npm start)',
    help: async () => (await import('./help/up.ts')).UP_HELP,
    run: async (a, c) => (await import('./commands/up.ts')).up(a, c),
  },
  serve: {
    group: 'Start and serve',
    summary: "serve every model's production version over HTTP (MLflow and Open Inference v2)",
    help: async () => (await import('./help/serve.ts')).SERVE_HELP,
    run: async (a, c) => (await import('./commands/serve.ts')).serve(a, c),
  },
  demo: {
    group: 'Start and serve',
    summary: 'demo production traffic and feedback against the running model server',
    help: async () => (await import('./help/demo.ts')).DEMO_HELP,
    run: async (a, c) => (await import('./commands/demo.ts')).demo(a, c),
  },
  retrain: {
    group: 'Retraining runs',
    summary: 'start a retraining run on the running stack',
    help: async () => (await import('./help/retrain.ts')).RETRAIN_HELP,
    run: async (a, c) => (await import('./commands/retrain.ts')).retrain(a, c),
  },
  runs: {
    group: 'Retraining runs',
    summary: "list runs, show one run's progress, decision or failure, cancel one",
    help: async () => (await import('./help/runs.ts')).RUNS_HELP,
    run: async (a, c) => (await import('./commands/runs.ts')).runs(a, c),
  },
  approve: {
    group: 'Retraining runs',
    summary: 'approve the candidate of a run waiting for approval',
    help: async () => (await import('./help/approve.ts')).APPROVE_HELP,
    run: async (a, c) => (await import('./commands/approve.ts')).approve('approve', a, c),
  },
  reject: {
    group: 'Retraining runs',
    summary: 'reject the candidate of a run waiting for approval',
    help: async () => (await import('./help/approve.ts')).APPROVE_HELP,
    run: async (a, c) => (await import('./commands/approve.ts')).approve('reject', a, c),
  },
  schedule: {
    group: 'Retraining runs',
    summary: 'nightly retraining: create, update, describe, pause, unpause, trigger, backfill, delete',
    help: async () => (await import('./help/schedule.ts')).SCHEDULE_HELP,
    run: async (a, c) => (await import('./commands/schedule.ts')).schedule(a, c),
  },
  models: {
    group: 'Models and data',
    summary: "list models, show one model's versions and promotions; promote, rollback, policy, mode",
    help: async () => (await import('./help/models.ts')).MODELS_HELP,
    run: async (a, c) => (await import('./commands/models.ts')).models(a, c),
  },
  data: {
    group: 'Models and data',
    summary: 'import labelled JSONL; release the next batch of the demo feed',
    help: async () => (await import('./help/data.ts')).DATA_HELP,
    run: async (a, c) => (await import('./commands/data.ts')).data(a, c),
  },
  predict: {
    group: 'Models and data',
    summary: 'predict texts with a model',
    help: async () => (await import('./help/predict.ts')).PREDICT_HELP,
    run: async (a, c) => (await import('./commands/predict.ts')).predict(a, c),
  },
  feedback: {
    group: 'Models and data',
    summary: 'record the true labels of earlier predictions',
    help: async () => (await import('./help/feedback.ts')).FEEDBACK_HELP,
    run: async (a, c) => (await import('./commands/feedback.ts')).feedback(a, c),
  },
  train: {
    group: 'Models and data',
    summary: 'train and evaluate on JSONL files with the ML modules alone',
    help: async () => (await import('./help/train.ts')).TRAIN_HELP,
    run: async (a) => (await import('./commands/train.ts')).train(a),
  },
  monitor: {
    group: 'Watching production',
    summary: "live metrics; the monitor's policy, events, and an evaluation now",
    help: async () => (await import('./help/monitor.ts')).MONITOR_HELP,
    run: async (a, c) => (await import('./commands/monitor.ts')).monitor(a, c),
  },
  notify: {
    group: 'Watching production',
    summary: 'webhooks for approvals, promotions, rejections, failures, decay and drift',
    help: async () => (await import('./help/notify.ts')).NOTIFY_HELP,
    run: async (a, c) => (await import('./commands/notify.ts')).notify(a, c),
  },
};

/** `nightshift --help`: the commands by group. */
export function topLevelHelp(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  const groups = COMMAND_GROUPS.map(
    (group) =>
      `${group}:\n${names
        .filter((n) => COMMANDS[n].group === group)
        .map((n) => `  ${n.padEnd(width)} ${COMMANDS[n].summary}`)
        .join('\n')}`,
  );
  return `Usage: nightshift <command> [options]

Keeps text classifiers fresh: Temporal workflows retrain, compare and promote models in a
PostgreSQL registry.

${groups.join('\n\n')}

Run \`nightshift help <command>\` or \`nightshift <command> --help\` for a command's options and
examples; \`nightshift --version\` for the version.

Exit codes: 0 done, 1 the operation failed, 2 usage error (bad command, flag or value).

Environment: NIGHTSHIFT_HOME (state directory; default: the nearest .nightshift above the current
directory, else ./.nightshift), TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, NIGHTSHIFT_TASK_QUEUE,
DATABASE_URL, TEMPORAL_CLI_PATH, NIGHTSHIFT_TEMPORAL_PORT (7233), NIGHTSHIFT_UI_PORT (8233),
NIGHTSHIFT_PG_PORT (5433), NIGHTSHIFT_SERVE_PORT (8080), NIGHTSHIFT_SERVE_HOST (127.0.0.1),
NIGHTSHIFT_SERVE_TOKEN (or _FILE), NIGHTSHIFT_SERVE_ALLOWED_HOSTS, NIGHTSHIFT_ENCRYPTION_KEY_FILE,
NIGHTSHIFT_SHUTDOWN_GRACE (10s), NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES (4),
NIGHTSHIFT_TRAIN_BUFFER_ROWS (16384), NO_COLOR;
Temporal's own TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE. The
README's Configuration section has them all.

Examples:
  nightshift up                                   start everything and run the demo model once
  nightshift retrain --model spam --wait          retrain now and print the decision
  nightshift runs list                            the latest runs and their outcomes
  nightshift models show --model spam             versions, metrics and promotions`;
}

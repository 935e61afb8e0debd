/** The `nightshift` command. */
import { loadConfig, type Config } from '../stack/config.ts';
import { nightshiftVersion } from '../stack/version.ts';
import { UsageError } from './commands/args.ts';
import { didYouMean } from './suggest.ts';
import { up, UP_HELP } from './commands/up.ts';
import { retrain, RETRAIN_HELP } from './commands/retrain.ts';
import { models, MODELS_HELP } from './commands/models.ts';
import { data, DATA_HELP } from './commands/data.ts';
import { train, TRAIN_HELP } from './commands/train.ts';
import { schedule, SCHEDULE_HELP } from './commands/schedule.ts';
import { approve, APPROVE_HELP } from './commands/approve.ts';
import { runs, RUNS_HELP } from './commands/runs.ts';
import { serve, SERVE_HELP } from './commands/serve.ts';
import { predict, PREDICT_HELP } from './commands/predict.ts';
import { feedback, FEEDBACK_HELP } from './commands/feedback.ts';
import { monitor, MONITOR_HELP } from './commands/monitor.ts';
import { notify, NOTIFY_HELP } from './commands/notify.ts';
import { demo, DEMO_HELP } from './commands/demo.ts';

interface Command {
  summary: string;
  help: string;
  run: (argv: string[], config: () => Config) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  up: {
    summary: 'start the embedded stack, a worker, the model server and one retraining run (npm start)',
    help: UP_HELP,
    run: (a, c) => up(a, c()),
  },
  retrain: { summary: 'start a retraining run on the running stack', help: RETRAIN_HELP, run: (a, c) => retrain(a, c()) },
  runs: { summary: "list runs, show one run's progress, decision or failure, cancel one", help: RUNS_HELP, run: (a, c) => runs(a, c()) },
  approve: {
    summary: 'approve the candidate of a run waiting for approval',
    help: APPROVE_HELP,
    run: (a, c) => approve('approve', a, c()),
  },
  reject: { summary: 'reject the candidate of a run waiting for approval', help: APPROVE_HELP, run: (a, c) => approve('reject', a, c()) },
  schedule: {
    summary: 'nightly retraining: create, update, describe, pause, unpause, trigger, backfill, delete',
    help: SCHEDULE_HELP,
    run: (a, c) => schedule(a, c()),
  },
  models: {
    summary: "list models, show one model's versions and promotions; promote, rollback, policy, mode",
    help: MODELS_HELP,
    run: (a, c) => models(a, c()),
  },
  data: { summary: 'import labelled JSONL; release the next batch of the demo feed', help: DATA_HELP, run: (a, c) => data(a, c()) },
  serve: {
    summary: "serve every model's production version over HTTP (MLflow and Open Inference v2)",
    help: SERVE_HELP,
    run: (a, c) => serve(a, c()),
  },
  predict: { summary: 'predict texts with a model', help: PREDICT_HELP, run: (a, c) => predict(a, c()) },
  feedback: { summary: 'record the true labels of earlier predictions', help: FEEDBACK_HELP, run: (a, c) => feedback(a, c()) },
  monitor: {
    summary: "live metrics; the monitor's policy, events, and an evaluation now",
    help: MONITOR_HELP,
    run: (a, c) => monitor(a, c()),
  },
  notify: {
    summary: 'webhooks for approvals, promotions, rejections, failures, decay and drift',
    help: NOTIFY_HELP,
    run: (a, c) => notify(a, c()),
  },
  demo: { summary: 'demo production traffic and feedback against the running model server', help: DEMO_HELP, run: (a, c) => demo(a, c()) },
  train: { summary: 'train and evaluate on JSONL files with the ML modules alone', help: TRAIN_HELP, run: (a) => train(a) },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length)) + 2;
  return `Usage: nightshift <command> [options]

Keeps text classifiers fresh: Temporal workflows retrain, compare and promote models in a
PostgreSQL registry.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)} ${c.summary}`)
  .join('\n')}

Run \`nightshift help <command>\` or \`nightshift <command> --help\` for a command's options;
\`nightshift --version\` for the version.

Exit codes: 0 done, 1 the operation failed, 2 usage error (bad command, flag or value).

Environment: NIGHTSHIFT_HOME (state directory; default: the nearest .nightshift above the current
directory, else ./.nightshift), TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, NIGHTSHIFT_TASK_QUEUE,
DATABASE_URL, TEMPORAL_CLI_PATH, NIGHTSHIFT_TEMPORAL_PORT (7233), NIGHTSHIFT_UI_PORT (8233),
NIGHTSHIFT_PG_PORT (5433), NIGHTSHIFT_SERVE_PORT (8080), NIGHTSHIFT_SERVE_HOST (127.0.0.1),
NIGHTSHIFT_SERVE_TOKEN (or _FILE), NIGHTSHIFT_ENCRYPTION_KEY_FILE, NIGHTSHIFT_SHUTDOWN_GRACE (10s),
NIGHTSHIFT_MAX_CONCURRENT_ACTIVITIES (4), NIGHTSHIFT_TRAIN_BUFFER_ROWS (16384), NO_COLOR;
Temporal's own TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE. The
README's Configuration section has them all.`;
}

function unknownCommand(name: string): UsageError {
  return new UsageError(`unknown command ${JSON.stringify(name)}${didYouMean(name, Object.keys(COMMANDS))}; run \`nightshift --help\``);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(help() + '\n');
    return 0;
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`nightshift ${nightshiftVersion()}\n`);
    return 0;
  }
  if (command === 'help') {
    const [topic, ...extra] = rest;
    if (extra.length) throw new UsageError('help takes one command name');
    if (topic === undefined) {
      process.stdout.write(help() + '\n');
      return 0;
    }
    const target = COMMANDS[topic];
    if (!target) throw unknownCommand(topic);
    process.stdout.write(target.help + '\n');
    return 0;
  }
  const target = COMMANDS[command];
  if (!target) throw unknownCommand(command);
  return target.run(rest, () => loadConfig());
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`nightshift: ${message}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);

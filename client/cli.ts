/** The `nightshift` command. */
import { loadConfig } from '../stack/config.ts';
import { UsageError } from './commands/args.ts';
import { up } from './commands/up.ts';
import { retrain } from './commands/retrain.ts';
import { models } from './commands/models.ts';
import { data } from './commands/data.ts';
import { train } from './commands/train.ts';
import { schedule } from './commands/schedule.ts';
import { approve } from './commands/approve.ts';
import { runs } from './commands/runs.ts';

const HELP = `Usage: nightshift <command> [options]

Keeps text classifiers fresh: Temporal workflows retrain, compare and promote models in a
PostgreSQL registry.

Commands:
  up         start the embedded stack, a worker and one retraining run (npm start)
  retrain    start a retraining run on the running stack
  runs       list runs of a model, show one run's progress or decision
  approve    approve the candidate of a run waiting for approval
  reject     reject the candidate of a run waiting for approval
  schedule   nightly retraining: create, update, describe, pause, unpause, trigger, backfill, delete
  models     list models, show one model's versions, metrics and promotions; promote, rollback
  data       import labelled JSONL; release the next batch of the demo feed
  train      train and evaluate on JSONL files with the ML modules alone

Run \`nightshift <command> --help\` for a command's options.

Environment: NIGHTSHIFT_HOME (state directory, default ./.nightshift), TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, NIGHTSHIFT_TASK_QUEUE, DATABASE_URL, TEMPORAL_CLI_PATH,
NIGHTSHIFT_TEMPORAL_PORT (7233), NIGHTSHIFT_UI_PORT (8233), NIGHTSHIFT_PG_PORT (5433).`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP + '\n');
    return command === undefined ? 2 : 0;
  }
  const config = loadConfig();
  switch (command) {
    case 'up':
      return up(rest, config);
    case 'retrain':
      return retrain(rest, config);
    case 'runs':
      return runs(rest, config);
    case 'approve':
    case 'reject':
      return approve(command, rest, config);
    case 'schedule':
      return schedule(rest, config);
    case 'models':
      return models(rest, config);
    case 'data':
      return data(rest, config);
    case 'train':
      return train(rest);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; run \`nightshift --help\``);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`nightshift: ${message}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);

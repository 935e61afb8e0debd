/**
 * The `nightshift` command. Answers `--help`, `help CMD`, `--version` and a mistyped command from
 * the command table alone; a command's code (and the configuration) loads when the command runs.
 */
import { COMMANDS, topLevelHelp, type ConfigSource } from './catalog.ts';
import type { Config } from '../stack/config.ts';
import { didYouMean } from './suggest.ts';
import { UsageError, withHelpHint } from './usage-error.ts';

const HELP_FLAGS = ['--help', '-h'];
const VERSION_FLAGS = ['--version', '-V', '-v'];

/** --help or -h among the options (not after `--`, where everything is an operand). */
function asksForHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => HELP_FLAGS.includes(a));
}

function unknownCommand(name: string): UsageError {
  if (name.startsWith('-')) return new UsageError(`unknown option ${name}${didYouMean(name, [...HELP_FLAGS, ...VERSION_FLAGS])}`);
  return new UsageError(`unknown command ${JSON.stringify(name)}${didYouMean(name, Object.keys(COMMANDS))}`);
}

/** The command a usage error is about (for its --help hint), once known. */
let current: string | null = null;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || HELP_FLAGS.includes(command)) {
    process.stdout.write(topLevelHelp() + '\n');
    return 0;
  }
  if (VERSION_FLAGS.includes(command) || command === 'version') {
    const { nightshiftVersion } = await import('../stack/version.ts');
    process.stdout.write(`nightshift ${nightshiftVersion()}\n`);
    return 0;
  }
  if (command === 'help') {
    const [topic, ...extra] = rest;
    if (extra.length) throw new UsageError('help takes one command name');
    if (topic === undefined) {
      process.stdout.write(topLevelHelp() + '\n');
      return 0;
    }
    const target = COMMANDS[topic];
    if (!target) throw unknownCommand(topic);
    process.stdout.write((await target.help()) + '\n');
    return 0;
  }
  const target = COMMANDS[command];
  if (!target) throw unknownCommand(command);
  current = command;
  if (asksForHelp(rest)) {
    process.stdout.write((await target.help()) + '\n');
    return 0;
  }
  let config: Promise<Config> | null = null;
  const loadConfig: ConfigSource = () => (config ??= import('../stack/config.ts').then((m) => m.loadConfig()));
  return target.run(rest, loadConfig);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    const usage = err instanceof UsageError;
    process.stderr.write(`nightshift: ${usage ? withHelpHint(message, current) : message}\n`);
    process.exit(usage ? 2 : 1);
  },
);

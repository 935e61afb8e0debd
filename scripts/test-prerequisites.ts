/**
 * `npm test` runs this first (pretest): it makes sure the test suite's real parts are here.
 * - The Temporal CLI v1.5.1: found or built once into the user cache (minutes the first time).
 * - docker-compose (Debian's package), used to validate docker-compose.yml: installed with apt-get
 *   when missing and running as root on Debian; otherwise a message saying what to install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import { findTemporalCli } from '../client/stack/temporal-cli.ts';

const say = (line: string): void => {
  process.stderr.write(`[test prerequisites] ${line}\n`);
};

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

async function main(): Promise<void> {
  const cli = await findTemporalCli(process.env, say);
  say(`Temporal CLI: ${cli}`);
  if (!has('docker-compose')) {
    if (os.userInfo().uid === 0 && has('apt-get')) {
      say('docker-compose is missing; installing Debian package docker-compose with apt-get');
      execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose'], { stdio: ['ignore', 'ignore', 'inherit'] });
    } else {
      throw new Error('docker-compose is needed to validate docker-compose.yml: install it (Debian: apt-get install docker-compose)');
    }
  }
  say('docker-compose: ' + execFileSync('docker-compose', ['version', '--short'], { encoding: 'utf8' }).trim());
}

main().catch((err: Error) => {
  say(err.message);
  process.exit(1);
});

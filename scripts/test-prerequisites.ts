/**
 * `npm test` runs this first (pretest): it makes sure the test suite's real parts are here.
 * - The Temporal CLI v1.5.1: found or built once into the user cache (minutes the first time).
 * - Temporal's time-skipping test server (the Java build, for test/workflow/): resolved once from
 *   Maven Central with mvn into the user cache.
 * - docker-compose (Debian's package), used to validate docker-compose.yml, Chromium (Debian's
 *   package), driven by playwright-core for the Temporal Web UI tests, and nginx (Debian's
 *   package), the TLS terminator in front of the dev server in the TLS tests: installed with
 *   apt-get when missing and running as root on Debian; otherwise a message saying what to install.
 * - promtool (Debian's prometheus package), which checks the model server's /metrics, the same way.
 * - The stock Python clients of the serving protocols (tritonclient, kserve, MLflow): a virtual
 *   environment with pinned versions from PyPI under ~/.cache/nightshift (test/support/python-clients.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { findTemporalCli, onPath } from '../stack/temporal-cli.ts';
import { findTemporalTestServer } from '../stack/temporal-test-server.ts';
import { ensurePythonClients } from '../test/support/python-clients.ts';

const say = (line: string): void => {
  process.stderr.write(`[test prerequisites] ${line}\n`);
};

const has = (command: string): boolean => onPath(command) !== null;

async function main(): Promise<void> {
  const cli = await findTemporalCli(process.env, say);
  say(`Temporal CLI: ${cli}`);
  say(`Temporal test server: ${await findTemporalTestServer(process.env, say)}`);
  const missing: string[] = [];
  if (!has('docker-compose')) missing.push('docker-compose');
  if (!existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) missing.push('chromium');
  if (!has('nginx') && !existsSync('/usr/sbin/nginx')) missing.push('nginx');
  // The fault tests try PostgreSQL as an unprivileged user with psql.
  if (!has('psql')) missing.push('postgresql-client');
  if (!has('promtool')) missing.push('prometheus');
  if (missing.length) {
    if (os.userInfo().uid === 0 && has('apt-get')) {
      say(`installing Debian packages ${missing.join(' ')} with apt-get`);
      execFileSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    } else {
      throw new Error(
        `the tests need ${missing.join(' and ')}: install them (Debian: apt-get install ${missing.join(' ')}), or set CHROMIUM_PATH`,
      );
    }
  }
  say('docker-compose: ' + execFileSync('docker-compose', ['version', '--short'], { encoding: 'utf8' }).trim());
  // nginx -v prints its version on stderr.
  say('nginx: ' + spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim());
  say('promtool: ' + spawnSync('promtool', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]);
  say('Python clients: ' + ensurePythonClients(say));
  say(
    'chromium: ' +
      execFileSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--version'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim(),
  );
}

main().catch((err: Error) => {
  say(err.message);
  process.exit(1);
});

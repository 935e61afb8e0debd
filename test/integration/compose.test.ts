/**
 * docker-compose.yml is validated with Debian's docker-compose (no Docker engine runs here, so
 * the stack itself is not started): it must parse, and hold the services a team would run.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/cli.ts';

describe('docker-compose.yml', () => {
  it('is valid and has Temporal, its UI, both databases, search attributes and two workers', () => {
    execFileSync('docker-compose', ['config', '-q'], { cwd: REPO, stdio: 'pipe' });
    const services = execFileSync('docker-compose', ['config', '--services'], { cwd: REPO, encoding: 'utf8' }).trim().split('\n').sort();
    expect(services).toEqual([
      'registry-db',
      'temporal',
      'temporal-db',
      'temporal-search-attributes',
      'temporal-ui',
      'worker-1',
      'worker-2',
    ]);
    const config = execFileSync('docker-compose', ['config'], { cwd: REPO, encoding: 'utf8' });
    for (const attribute of ['ModelName', 'Outcome', 'CandidateVersion', 'ChampionVersion'])
      expect(config).toContain(`--name ${attribute}`);
  });
});

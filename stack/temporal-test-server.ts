/**
 * Temporal's time-skipping test server, for the workflow unit tests (test/workflow/). The TS SDK
 * downloads it from a Temporal host; this finds it without that host: $TEMPORAL_TEST_SERVER_PATH,
 * else the Java build (`io.temporal:temporal-test-server`, main class
 * io.temporal.testserver.TestServer) resolved once from Maven Central with `mvn` into the user's
 * cache, next to the Temporal CLI, and started by a small wrapper script. The SDK starts the
 * executable with the port as its only argument, as it does the downloaded binary.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { executableFromEnv, isExecutable } from './temporal-cli.ts';

export const TEMPORAL_TEST_SERVER_VERSION = '1.31.0';

export function testServerDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'nightshift', `temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}`);
}

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>nightshift</groupId>
  <artifactId>temporal-test-server-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${TEMPORAL_TEST_SERVER_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;

/** `exec` so that the process the SDK starts, and later kills, is the JVM itself. */
const wrapper = (lib: string): string => `#!/bin/sh
exec java -cp '${lib}/*' io.temporal.testserver.TestServer "$@"
`;

/** The path of an executable that starts the test server on the port given as its argument. */
export async function findTemporalTestServer(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<string> {
  const given = executableFromEnv(env, 'TEMPORAL_TEST_SERVER_PATH');
  if (given) return given;
  const dir = testServerDir(env);
  const bin = path.join(dir, 'temporal-test-server');
  const lib = path.join(dir, 'lib');
  const resolved = existsSync(lib) && readdirSync(lib).some((f) => f.startsWith('temporal-test-server-'));
  if (isExecutable(bin) && resolved) return bin;
  log(`resolving the Temporal test server ${TEMPORAL_TEST_SERVER_VERSION} from Maven Central with mvn (cached in ${dir})`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'pom.xml'), POM);
  try {
    await promisify(execFile)(
      'mvn',
      ['-q', '-B', '-f', path.join(dir, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
  } catch (err) {
    throw new Error(
      `the Temporal test server could not be resolved with mvn (${(err as Error).message.split('\n')[0]}): ` +
        'install Java 17+ and Maven, or set TEMPORAL_TEST_SERVER_PATH to an executable that starts it on the port given as argument',
    );
  }
  writeFileSync(bin, wrapper(lib));
  chmodSync(bin, 0o755);
  return bin;
}

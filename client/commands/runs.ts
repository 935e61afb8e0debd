import type { Config } from '../../stack/config.ts';
import { resolveTemporal, runUiLink } from '../../stack/stack.ts';
import { connectClient, findRun, listRuns, runProgress } from '../runs.ts';
import { formatRunResult, printJson } from '../output.ts';
import { parse, UsageError } from './args.ts';
import type { RunResult } from '../../workflows/definitions.ts';

export const RUNS_HELP = `Usage: nightshift runs list [--model NAME] [--limit N] [--json]
       nightshift runs show RUN [--json]

list: retraining runs, newest first: workflow id, status, outcome, champion and candidate versions.
show: one run: status, stage, training progress (epoch, loss) and, when finished, its decision.`;

const attr = (sa: Record<string, unknown> | undefined, key: string): string | number | null => {
  const v = sa?.[key] as Array<string | number> | undefined;
  return v?.[0] ?? null;
};

export async function runs(argv: string[], config: Config): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, { model: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } }, true);
  if (values.help || sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(RUNS_HELP + '\n');
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'list' && sub !== 'show') throw new UsageError(`unknown subcommand runs ${sub}; use list or show`);
  const target = await resolveTemporal(config);
  const { client, close } = await connectClient(target);
  try {
    if (sub === 'list') {
      const limit = values.limit === undefined ? 20 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(`--limit must be a positive integer, got ${JSON.stringify(values.limit)}`);
      const found = await listRuns(client, values.model ?? null, { limit });
      const rows = found.map((w) => ({
        workflowId: w.workflowId,
        runId: w.runId,
        status: w.status.name,
        startTime: w.startTime.toISOString(),
        closeTime: w.closeTime?.toISOString() ?? null,
        model: attr(w.searchAttributes, 'ModelName'),
        outcome: attr(w.searchAttributes, 'Outcome'),
        championVersion: attr(w.searchAttributes, 'ChampionVersion'),
        candidateVersion: attr(w.searchAttributes, 'CandidateVersion'),
      }));
      if (values.json) printJson({ runs: rows });
      else if (rows.length === 0) process.stdout.write('no runs\n');
      else
        for (const r of rows)
          process.stdout.write(
            `${r.workflowId.padEnd(44)} ${r.status.padEnd(10)} ${String(r.outcome ?? '-').padEnd(20)} champion ${r.championVersion ?? '-'} candidate ${r.candidateVersion ?? '-'}  ${r.startTime}\n`,
          );
      return 0;
    }
    const [runId] = positionals;
    if (!runId) throw new UsageError('runs show needs RUN (a workflow id)');
    const { handle, description } = await findRun(client, runId);
    const out: Record<string, unknown> = {
      workflowId: runId,
      runId: description.runId,
      status: description.status.name,
      uiLink: runUiLink(target.uiUrl, target.namespace, runId, description.runId),
    };
    if (description.status.name === 'RUNNING') {
      Object.assign(out, { progress: await runProgress(client, runId, description.runId) });
    } else if (description.status.name === 'COMPLETED') {
      Object.assign(out, { result: (await handle.result()) as RunResult });
    }
    if (values.json) printJson(out);
    else {
      process.stdout.write(`${runId}: ${out.status}\n`);
      if (out.progress) process.stdout.write(`  progress: ${JSON.stringify(out.progress)}\n`);
      if (out.result) process.stdout.write(formatRunResult(out.result as RunResult, out.uiLink as string | null) + '\n');
    }
    return 0;
  } finally {
    await close();
  }
}

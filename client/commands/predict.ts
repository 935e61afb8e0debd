import { readFileSync } from 'node:fs';
import type { Config } from '../../stack/config.ts';
import { openRegistry } from '../../registry/open.ts';
import { readStackFile } from '../../stack/stack-file.ts';
import { log, printJson } from '../output.ts';
import { parse, UsageError } from './args.ts';
import { checkModelName, getModel } from '../../registry/models.ts';
import { productionVersionId } from '../../registry/promotions.ts';
import { getVersion, loadModelVersion } from '../../registry/versions.ts';
import { predictTexts } from '../../ml/classifier.ts';
import { probabilityRecord } from '../../serve/predict.ts';

export const PREDICT_HELP = `Usage: nightshift predict --model NAME (--text TEXT | --file F.jsonl) [--url URL | --direct] [--json]

Classifies texts with the model's production version.

Through the model server when one is running (--url, else the server \`nightshift up\` started for
this NIGHTSHIFT_HOME): the predictions are logged and each gets a prediction_id, which
\`nightshift feedback\` (or POST /v1/feedback) can later label. With --direct, or when no server is
running, the production version is loaded from the registry into this process: nothing is logged
and there are no prediction ids.

  --model NAME     the model (required)
  --text TEXT      one text
  --file F.jsonl   one {"text": ...} object a line (other fields, such as "id", are echoed back)
  --url URL        the model server (default: the running stack's serveUrl)
  --direct         predict in this process from the registry, not through a server
  --json           one JSON document: {model, model_version, via, predictions: [{label, probabilities, prediction_id}]}

NIGHTSHIFT_SERVE_TOKEN, when set, is sent as the bearer token.`;

interface Row {
  text: string;
  id?: unknown;
}

interface Output {
  label: string;
  probabilities: Record<string, number>;
  prediction_id: string | null;
  id?: unknown;
}

function readRows(file: string): Row[] {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const rows: Row[] = [];
  content.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new UsageError(`${file} line ${i + 1}: bad JSON: ${(err as Error).message}`);
    }
    const rec = value as { text?: unknown; id?: unknown } | null;
    if (rec === null || typeof rec !== 'object' || typeof rec.text !== 'string') {
      throw new UsageError(`${file} line ${i + 1}: needs a "text" string`);
    }
    rows.push(rec.id === undefined ? { text: rec.text } : { text: rec.text, id: rec.id });
  });
  if (rows.length === 0) throw new UsageError(`${file} has no texts`);
  return rows;
}

const CHUNK = 64;

async function viaServer(
  url: string,
  model: string,
  texts: string[],
  token: string | null,
): Promise<{ version: string; outputs: Output[] }> {
  const outputs: Output[] = [];
  let version = '';
  for (let start = 0; start < texts.length; start += CHUNK) {
    let res: Response;
    try {
      res = await fetch(`${url.replace(/\/$/, '')}/models/${encodeURIComponent(model)}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ inputs: texts.slice(start, start + CHUNK) }),
      });
    } catch (err) {
      throw new Error(`cannot reach the model server at ${url}: ${(err as Error).message}`);
    }
    const body = (await res.json().catch(() => ({}))) as {
      predictions?: Output[];
      model_version?: string;
      message?: string;
    };
    if (!res.ok || !body.predictions) throw new Error(`the model server answered ${res.status}: ${body.message ?? 'no predictions'}`);
    version = body.model_version ?? version;
    outputs.push(...body.predictions);
  }
  return { version, outputs };
}

export async function predict(argv: string[], config: Config): Promise<number> {
  const { values } = parse(argv, {
    model: { type: 'string' },
    text: { type: 'string' },
    file: { type: 'string' },
    url: { type: 'string' },
    direct: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(PREDICT_HELP + '\n');
    return 0;
  }
  if (!values.model) throw new UsageError('predict needs --model NAME');
  try {
    checkModelName(values.model);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if ((values.text === undefined) === (values.file === undefined))
    throw new UsageError('give exactly one of --text TEXT or --file F.jsonl');
  if (values.direct && values.url) throw new UsageError('--direct and --url exclude each other');
  const rows: Row[] = values.text !== undefined ? [{ text: values.text }] : readRows(values.file!);
  const texts = rows.map((r) => r.text);

  const url = values.direct ? null : (values.url ?? readStackFile(config.home)?.serveUrl ?? null);
  let version: string;
  let outputs: Output[];
  let via: string;
  if (url) {
    ({ version, outputs } = await viaServer(url, values.model, texts, config.serveToken));
    via = url;
  } else {
    if (!values.direct) log('no model server running: predicting from the registry in this process (not logged, no prediction ids)');
    const registry = await openRegistry(config);
    try {
      const model = await getModel(registry.db, values.model);
      const versionId = await productionVersionId(registry.db, model.id);
      if (versionId === null) throw new Error(`model ${values.model} has no production version yet`);
      const v = await getVersion(registry.db, versionId);
      const loaded = await loadModelVersion(registry.db, versionId);
      outputs = predictTexts(loaded, texts).map((p) => ({
        label: p.label,
        probabilities: probabilityRecord(loaded.labels, p.probabilities),
        prediction_id: null,
      }));
      version = String(v.version);
      via = 'registry';
    } finally {
      await registry.close();
    }
  }
  outputs = outputs.map((o, i) => (rows[i].id === undefined ? o : { ...o, id: rows[i].id }));
  if (values.json) {
    printJson({ model: values.model, model_version: version, via, predictions: outputs });
    return 0;
  }
  for (const [i, o] of outputs.entries()) {
    const p = o.probabilities[o.label];
    const preview = texts[i].replace(/\s+/g, ' ').slice(0, 60);
    process.stdout.write(`${o.label}\t${p.toFixed(4)}\t${o.prediction_id ?? '-'}\t${preview}\n`);
  }
  log(`${outputs.length} predictions by ${values.model} v${version} (${via})`);
  return 0;
}

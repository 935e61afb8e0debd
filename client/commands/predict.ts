/** `nightshift predict`: through the running model server, or from the registry in this process. */
import type { ConfigSource } from '../catalog.ts';
import { log, printJson } from '../output.ts';
import { modelFlag, parse, textFileFlag, UsageError } from './args.ts';
import { type ConfigInput, configSource, withRegistry } from './connect.ts';

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
  const content = textFileFlag('file', file);
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

/** The production version loaded from the registry into this process: no log, no prediction ids. */
function fromRegistry(config: ConfigSource, name: string, texts: string[]): Promise<{ version: string; outputs: Output[] }> {
  return withRegistry(config, async ({ db }) => {
    const [{ getModel }, { productionVersionId }, { getVersion, loadModelVersion }, { predictTexts }, { probabilityRecord }] =
      await Promise.all([
        import('../../registry/models.ts'),
        import('../../registry/promotions.ts'),
        import('../../registry/versions.ts'),
        import('../../ml/classifier.ts'),
        import('../../serve/predict.ts'),
      ]);
    const model = await getModel(db, name);
    const versionId = await productionVersionId(db, model.id);
    if (versionId === null) throw new Error(`model ${name} has no production version yet`);
    const v = await getVersion(db, versionId);
    const loaded = await loadModelVersion(db, versionId);
    const outputs = predictTexts(loaded, texts).map((p) => ({
      label: p.label,
      probabilities: probabilityRecord(loaded.labels, p.probabilities),
      prediction_id: null,
    }));
    return { version: String(v.version), outputs };
  });
}

export async function predict(argv: string[], loadConfigInput: ConfigInput): Promise<number> {
  const loadConfig = configSource(loadConfigInput);
  const { values } = parse(argv, {
    model: { type: 'string' },
    text: { type: 'string' },
    file: { type: 'string' },
    url: { type: 'string' },
    direct: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const name = modelFlag(values.model, 'predict');
  if ((values.text === undefined) === (values.file === undefined))
    throw new UsageError('give exactly one of --text TEXT or --file F.jsonl');
  if (values.direct && values.url) throw new UsageError('--direct and --url exclude each other');
  const rows: Row[] = values.text !== undefined ? [{ text: values.text }] : readRows(values.file!);
  const texts = rows.map((r) => r.text);

  const config = await loadConfig();
  const { readStackFile } = await import('../../stack/stack-file.ts');
  const url = values.direct ? null : (values.url ?? readStackFile(config.home)?.serveUrl ?? null);
  let version: string;
  let outputs: Output[];
  let via: string;
  if (url) {
    ({ version, outputs } = await viaServer(url, name, texts, config.serveToken));
    via = url;
  } else {
    if (!values.direct) log('no model server running: predicting from the registry in this process (not logged, no prediction ids)');
    ({ version, outputs } = await fromRegistry(() => Promise.resolve(config), name, texts));
    via = 'registry';
  }
  outputs = outputs.map((o, i) => (rows[i].id === undefined ? o : { ...o, id: rows[i].id }));
  if (values.json) {
    printJson({ model: name, model_version: version, via, predictions: outputs });
    return 0;
  }
  for (const [i, o] of outputs.entries()) {
    const p = o.probabilities[o.label];
    const preview = texts[i].replace(/\s+/g, ' ').slice(0, 60);
    process.stdout.write(`${o.label}\t${p.toFixed(4)}\t${o.prediction_id ?? '-'}\t${preview}\n`);
  }
  log(`${outputs.length} predictions by ${name} v${version} (${via})`);
  return 0;
}

/**
 * Request bodies to texts. MLflow's scoring protocol has four input forms (inputs, instances,
 * dataframe_split, dataframe_records); for a text classifier each names one column, `text`. The
 * Open Inference Protocol has one BYTES input tensor named `text` of shape [N]. The JSON schemas
 * check the envelope; these functions check the content and say precisely what is wrong.
 */
export class BadInput extends Error {}

export const TEXT_COLUMN = 'text';

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

function textAt(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new BadInput(`${where} must be a string (the text to classify), got ${describe(v)}`);
  return v;
}

function fromRecords(records: unknown[], where: string): string[] {
  return records.map((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new BadInput(`${where}[${i}] must be an object with a "text" field`);
    const rec = r as Record<string, unknown>;
    if (!(TEXT_COLUMN in rec)) throw new BadInput(`${where}[${i}] has no "text" field (columns: ${Object.keys(rec).join(', ') || 'none'})`);
    return textAt(rec[TEXT_COLUMN], `${where}[${i}].text`);
  });
}

/** A list of texts or of {"text": ...} records (instances, and inputs in its list form). */
function fromList(list: unknown[], where: string): string[] {
  if (list.length > 0 && list[0] !== null && typeof list[0] === 'object' && !Array.isArray(list[0])) return fromRecords(list, where);
  return list.map((v, i) => {
    // A one-column row, as pandas' to_numpy() gives.
    if (Array.isArray(v) && v.length === 1) return textAt(v[0], `${where}[${i}][0]`);
    return textAt(v, `${where}[${i}]`);
  });
}

export interface MlflowBody {
  inputs?: unknown;
  instances?: unknown;
  dataframe_split?: { columns?: unknown[]; data?: unknown[]; index?: unknown[] };
  dataframe_records?: unknown[];
  params?: Record<string, unknown>;
}

const FORMS = ['inputs', 'instances', 'dataframe_split', 'dataframe_records'] as const;

export function mlflowTexts(body: MlflowBody): string[] {
  const given = FORMS.filter((f) => body[f] !== undefined);
  if (given.length !== 1) {
    throw new BadInput(
      given.length === 0
        ? `the body must have one of ${FORMS.join(', ')}, e.g. {"inputs": ["some text"]} or {"dataframe_records": [{"text": "some text"}]}`
        : `the body must have exactly one of ${FORMS.join(', ')}; got ${given.join(' and ')}`,
    );
  }
  const form = given[0];
  if (form === 'dataframe_records') return fromRecords(body.dataframe_records!, 'dataframe_records');
  if (form === 'dataframe_split') {
    const split = body.dataframe_split!;
    const columns = split.columns ?? [];
    const col = columns.indexOf(TEXT_COLUMN);
    if (col === -1) throw new BadInput(`dataframe_split.columns must include "text" (got ${JSON.stringify(columns).slice(0, 200)})`);
    return (split.data ?? []).map((row, i) => {
      if (!Array.isArray(row) || row.length !== columns.length) {
        throw new BadInput(`dataframe_split.data[${i}] must be an array of ${columns.length} values, one per column`);
      }
      return textAt(row[col], `dataframe_split.data[${i}][${col}]`);
    });
  }
  const value = body[form];
  if (Array.isArray(value)) return fromList(value, form);
  if (form === 'inputs' && value !== null && typeof value === 'object') {
    // The columnar form: {"inputs": {"text": ["a", "b"]}}.
    const columns = value as Record<string, unknown>;
    const texts = columns[TEXT_COLUMN];
    if (!Array.isArray(texts)) throw new BadInput('inputs as an object must map "text" to an array of strings');
    return texts.map((t, i) => textAt(t, `inputs.text[${i}]`));
  }
  if (typeof value === 'string') return [value];
  throw new BadInput(`${form} must be an array of texts, got ${describe(value)}`);
}

export interface V2Tensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
  parameters?: Record<string, unknown>;
}

export interface V2InferBody {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: V2Tensor[];
  outputs?: Array<{ name: string; parameters?: Record<string, unknown> }>;
}

/**
 * The tensor's elements in row-major order. Data may come flat, or nested one level as [N][1]
 * rows; anything else nested (rows of other lengths, arrays mixed with values, deeper nesting) is
 * ragged or of another shape and refused, rather than flattened into a different count.
 */
function rowMajor(data: unknown[]): unknown[] {
  if (!data.some(Array.isArray)) return data;
  const at = data.findIndex((row) => !Array.isArray(row) || row.length !== 1 || Array.isArray(row[0]));
  if (at >= 0) {
    const row = data[at];
    const what = !Array.isArray(row) ? 'a value among nested rows' : Array.isArray(row[0]) ? 'nested deeper' : `${row.length} elements`;
    throw new BadInput(
      `input "text" data is ragged: element ${at} is ${what}; send the texts flat, or nested as [N][1] rows of one text each`,
    );
  }
  return (data as unknown[][]).map((row) => row[0]);
}

export function v2Texts(body: V2InferBody): string[] {
  const input = body.inputs.find((i) => i.name === TEXT_COLUMN);
  if (!input)
    throw new BadInput(`inputs must include a tensor named "text" (got ${body.inputs.map((i) => JSON.stringify(i.name)).join(', ')})`);
  if (body.inputs.length > 1) throw new BadInput('the model takes one input tensor, "text"');
  if (input.datatype !== 'BYTES') throw new BadInput(`input "text" must have datatype BYTES, got ${JSON.stringify(input.datatype)}`);
  const shape = input.shape;
  const n = shape[0];
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1)) || !Number.isInteger(n) || n < 0) {
    throw new BadInput(`input "text" must have shape [N] (or [N, 1]), got ${JSON.stringify(shape)}`);
  }
  const data = rowMajor(input.data);
  if (data.length !== n) throw new BadInput(`input "text" has shape [${n}] but ${data.length} data elements`);
  return data.map((v, i) => textAt(v, `inputs[text].data[${i}]`));
}

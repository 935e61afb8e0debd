/**
 * The schema of tabular rows: `{"features": {name: number | string | boolean | null}, "label": ...}`.
 * Each column is a number or a category (booleans and strings are categories; a column with any of
 * them is one, its numbers read as their decimal text); null or an absent key is a missing value.
 * A column no row gives a value is `empty`: kept in the schema, used by nothing, until the schema is
 * inferred again. The task is regression when most labels are numbers (a stray class label is then
 * reported by checkRow), classification otherwise, or as told.
 *
 * checkRow names every problem of a row (a string in a number column, a non-finite number, a missing
 * label, a non-finite regression label, a class label given to a regression) and the row's columns
 * the schema lacks: those are kept in the row and unused until the schema is updated.
 */
import { MlError } from '../errors.ts';

export type FeatureValue = number | string | boolean | null;

export interface TabularRow {
  features: Record<string, FeatureValue>;
  /** A number for regression; a string (or a boolean or number, read as text) for classification. */
  label?: FeatureValue;
}

export type ColumnKind = 'number' | 'category' | 'empty';
export type TabularTask = 'regression' | 'classification';

export interface ColumnSchema {
  name: string;
  kind: ColumnKind;
}

export interface TabularSchema {
  version: 1;
  task: TabularTask;
  /** Sorted by name. */
  columns: ColumnSchema[];
  /** Classification: the classes seen when the schema was inferred, sorted. */
  labels?: string[];
}

export const TABULAR_SCHEMA_VERSION = 1;

export type RowProblemCode =
  | 'not-a-row'
  | 'invalid-value'
  | 'not-a-number'
  | 'non-finite-number'
  | 'missing-label'
  | 'non-finite-label'
  | 'class-label-for-regression'
  | 'unknown-class';

export interface RowProblem {
  code: RowProblemCode;
  /** The feature column concerned; absent for the label and the row itself. */
  column?: string;
  message: string;
}

export interface RowCheck {
  ok: boolean;
  problems: RowProblem[];
  /** Feature keys the schema does not know, sorted: kept in the row, unused. */
  newColumns: string[];
}

export interface RowsCheck {
  /** Rows with at least one problem (index into the input, 0-based). */
  bad: Array<{ row: number; problems: RowProblem[] }>;
  /** Union of the rows' new columns, sorted, with how many rows carry each. */
  newColumns: Array<{ name: string; rows: number }>;
}

export interface CheckOptions {
  /** Whether a row must have a label (training and evaluation: yes; prediction: no). Default true. */
  requireLabel?: boolean;
  /** Classification: report a class outside schema.labels. Default false (training may add classes). */
  knownClassesOnly?: boolean;
}

/** The text of a category value: strings as they are, booleans and numbers as JSON writes them. */
export function categoryText(value: string | number | boolean): string {
  return typeof value === 'string' ? value : String(value);
}

const isMissing = (v: unknown): boolean => v === null || v === undefined;
const isValue = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Infers a schema from rows. Throws InvalidTrainingData when a row is not `{features: {...}}` or a
 * value is neither number, string, boolean nor null (those no schema can take).
 */
export function inferSchema(rows: readonly unknown[], task?: TabularTask): TabularSchema {
  const seen = new Map<string, { numbers: boolean; categories: boolean }>();
  let numericLabels = 0;
  let classLabels = 0;
  const classes = new Set<string>();
  rows.forEach((raw, i) => {
    if (!isObject(raw) || !isObject(raw.features)) {
      throw new MlError('InvalidTrainingData', `row ${i + 1}: expected {"features": {...}, "label": ...}`);
    }
    for (const [name, v] of Object.entries(raw.features)) {
      const col = seen.get(name) ?? { numbers: false, categories: false };
      seen.set(name, col);
      if (isMissing(v)) continue;
      if (!isValue(v))
        throw new MlError('InvalidTrainingData', `row ${i + 1}: feature ${JSON.stringify(name)} is not a number, string, boolean or null`);
      if (typeof v === 'number') col.numbers ||= Number.isFinite(v);
      else col.categories = true;
    }
    const label = raw.label;
    if (typeof label === 'number') numericLabels++;
    else if (typeof label === 'string' || typeof label === 'boolean') classLabels++;
    if (isValue(label) && (typeof label !== 'number' || Number.isFinite(label))) classes.add(categoryText(label));
  });
  const inferredTask: TabularTask = task ?? (numericLabels > classLabels ? 'regression' : 'classification');
  const columns = [...seen.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, c]): ColumnSchema => ({ name, kind: c.categories ? 'category' : c.numbers ? 'number' : 'empty' }));
  const schema: TabularSchema = { version: TABULAR_SCHEMA_VERSION, task: inferredTask, columns };
  if (inferredTask === 'classification') schema.labels = [...classes].sort();
  return schema;
}

/**
 * The schema updated with rows: columns it lacks are added and `empty` columns take the kind the rows
 * give them (as inferSchema would); a column's existing kind never changes (a string in a number
 * column stays a problem) and classification gains the rows' new classes. `added` names the
 * columns that are new or no longer empty.
 */
export function extendSchema(schema: TabularSchema, rows: readonly unknown[]): { schema: TabularSchema; added: string[] } {
  const seen = inferSchema(rows, schema.task);
  const kinds = new Map(schema.columns.map((c) => [c.name, c.kind]));
  const added: string[] = [];
  for (const c of seen.columns) {
    const kind = kinds.get(c.name);
    if (kind === undefined || (kind === 'empty' && c.kind !== 'empty')) {
      kinds.set(c.name, c.kind);
      added.push(c.name);
    }
  }
  const columns = [...kinds.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, kind]) => ({ name, kind }));
  const next: TabularSchema = { version: TABULAR_SCHEMA_VERSION, task: schema.task, columns };
  if (schema.task === 'classification') next.labels = [...new Set([...(schema.labels ?? []), ...(seen.labels ?? [])])].sort();
  return { schema: next, added };
}

/** Checks one row against a schema. */
export function checkRow(raw: unknown, schema: TabularSchema, options: CheckOptions = {}): RowCheck {
  const { requireLabel = true, knownClassesOnly = false } = options;
  const problems: RowProblem[] = [];
  if (!isObject(raw) || !isObject(raw.features)) {
    return { ok: false, problems: [{ code: 'not-a-row', message: 'expected {"features": {...}, "label": ...}' }], newColumns: [] };
  }
  const features = raw.features;
  const known = new Map(schema.columns.map((c) => [c.name, c.kind]));
  const newColumns: string[] = [];
  for (const name of Object.keys(features).sort()) {
    const v = features[name];
    const kind = known.get(name);
    if (kind === undefined) newColumns.push(name);
    if (isMissing(v)) continue;
    const q = JSON.stringify(name);
    if (!isValue(v)) {
      problems.push({ code: 'invalid-value', column: name, message: `feature ${q} is not a number, string, boolean or null` });
    } else if (typeof v === 'number' && !Number.isFinite(v)) {
      problems.push({ code: 'non-finite-number', column: name, message: `feature ${q} is ${v}, not a finite number` });
    } else if (kind === 'number' && typeof v !== 'number') {
      problems.push({ code: 'not-a-number', column: name, message: `feature ${q} is a number column but has ${JSON.stringify(v)}` });
    }
  }
  const label = raw.label;
  if (isMissing(label)) {
    if (requireLabel) problems.push({ code: 'missing-label', message: 'the label is missing' });
  } else if (!isValue(label)) {
    problems.push({ code: 'invalid-value', message: 'the label is not a number, string or boolean' });
  } else if (schema.task === 'regression') {
    if (typeof label !== 'number') {
      problems.push({ code: 'class-label-for-regression', message: `a regression needs a numeric label, got ${JSON.stringify(label)}` });
    } else if (!Number.isFinite(label)) {
      problems.push({ code: 'non-finite-label', message: `the label is ${label}, not a finite number` });
    }
  } else if (typeof label === 'number' && !Number.isFinite(label)) {
    problems.push({ code: 'non-finite-label', message: `the label is ${label}, not a class` });
  } else if (knownClassesOnly && !(schema.labels ?? []).includes(categoryText(label))) {
    problems.push({ code: 'unknown-class', message: `class ${JSON.stringify(categoryText(label))} is not one the schema knows` });
  }
  return { ok: problems.length === 0, problems, newColumns };
}

/** Checks every row; lists the bad ones with their problems and the new columns with their counts. */
export function checkRows(rows: readonly unknown[], schema: TabularSchema, options: CheckOptions = {}): RowsCheck {
  const bad: RowsCheck['bad'] = [];
  const counts = new Map<string, number>();
  rows.forEach((raw, row) => {
    const check = checkRow(raw, schema, options);
    if (!check.ok) bad.push({ row, problems: check.problems });
    for (const name of check.newColumns) counts.set(name, (counts.get(name) ?? 0) + 1);
  });
  const newColumns = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, n]) => ({ name, rows: n }));
  return { bad, newColumns };
}

/** Checks a parsed schema (from a model file or a request); throws ModelCorrupted naming the fault. */
export function parseSchema(value: unknown, what = 'tabular schema'): TabularSchema {
  const fail = (why: string): never => {
    throw new MlError('ModelCorrupted', `${what}: ${why}`);
  };
  if (!isObject(value)) return fail('not an object');
  if (value.version !== TABULAR_SCHEMA_VERSION) fail(`version ${String(value.version)} is not ${TABULAR_SCHEMA_VERSION}`);
  if (value.task !== 'regression' && value.task !== 'classification')
    fail(`task ${String(value.task)} is not regression or classification`);
  if (!Array.isArray(value.columns)) return fail('columns is not an array');
  for (const c of value.columns as unknown[]) {
    if (!isObject(c) || typeof c.name !== 'string' || !['number', 'category', 'empty'].includes(c.kind as string))
      fail('a column is malformed');
  }
  if (value.task === 'classification' && !(Array.isArray(value.labels) && value.labels.every((l) => typeof l === 'string'))) {
    fail('a classification schema needs its labels');
  }
  return value as unknown as TabularSchema;
}

/**
 * The judge: decides whether a candidate replaces the champion, from an explicit policy, and
 * records every check it made so a promotion is always explained by numbers.
 *
 * - Absolute bounds: candidate value within [min, max] (inclusive).
 * - Change thresholds against the champion, in the metric's "better" direction:
 *   improvement = (c - b) for higher-is-better, (b - c) for lower-is-better; passes when
 *   improvement >= minImprovement (a negative threshold tolerates that much regression).
 *   Relative improvement = improvement / |b|. When b = 0 the relative change is undefined; the rule:
 *   it is +Infinity if the improvement is > 0, 0 if it is 0, -Infinity if < 0 (recorded as null
 *   with a note), and compared with the threshold as such.
 * - A metric missing from the candidate (or from the champion, for change checks) fails its check.
 * - Significance: exact McNemar on paired predictions, one-sided "candidate better", p <= alpha.
 * - First run (no champion): promote when every absolute check passes; change and significance
 *   checks are not applicable and are listed as skipped.
 * - A candidate byte-identical to the champion (same sha256), or one that gets exactly the same
 *   rows right with exactly the same metrics, is never promoted: nothing would change.
 * - Drift gates (optional): the new data's drift against the previous snapshot must stay under the
 *   policy's maxima; the drift numbers and a plain reading are kept in the record either way.
 * - Enough evidence: the candidate is measured on at least `minEvaluationRows` held-out rows
 *   (DEFAULT_MIN_EVALUATION_ROWS when the policy names none); fewer is a REJECT that says so,
 *   whatever the metrics (1.0 against 0.0 on 4 rows is no evidence).
 */
import { mcnemarExact, type McNemarResult } from './mcnemar.ts';
import { MlError } from './errors.ts';
import { readDrift, type DriftNumbers, type DriftReading } from './drift.ts';

export type Direction = 'higher' | 'lower';

export interface AbsoluteRule {
  metric: string;
  min?: number;
  max?: number;
}

export interface ChangeRule {
  metric: string;
  /** Minimum absolute improvement over the champion (negative: tolerated regression). */
  minImprovement?: number;
  /** Minimum relative improvement over the champion, as a fraction. */
  minRelativeImprovement?: number;
}

export interface ComparisonPolicy {
  absolute: AbsoluteRule[];
  change: ChangeRule[];
  /** When set, the candidate must be significantly better than the champion (McNemar, one-sided). */
  significance?: { alpha: number };
  /** The direction of "better" per metric; metrics not listed are higher-is-better. */
  directions?: Record<string, Direction>;
  /** Maxima of the new data's drift against the previous snapshot; unset: drift is reported, not gated. */
  drift?: DriftLimits;
  /** The fewest held-out rows a decision may rest on; unset: DEFAULT_MIN_EVALUATION_ROWS. */
  minEvaluationRows?: number;
}

/** How many held-out rows a decision needs when the policy names no minimum. */
export const DEFAULT_MIN_EVALUATION_ROWS = 30;

/** The policy's minimum number of evaluation rows. */
export const minEvaluationRowsOf = (policy: ComparisonPolicy): number => policy.minEvaluationRows ?? DEFAULT_MIN_EVALUATION_ROWS;

export interface DriftLimits {
  /** Jensen-Shannon divergence of the token distributions, in [0, 1]. */
  maxTokenJensenShannon?: number;
  /** Population stability index of the label distribution. */
  maxLabelPsi?: number;
  /** Share of new tokens in hash buckets the previous data never used. */
  maxUnseenBucketShare?: number;
}

const DRIFT_LIMIT_METRICS: Record<keyof DriftLimits, 'tokenJensenShannon' | 'labelPsi' | 'unseenBucketShare'> = {
  maxTokenJensenShannon: 'tokenJensenShannon',
  maxLabelPsi: 'labelPsi',
  maxUnseenBucketShare: 'unseenBucketShare',
};

/**
 * The default: good enough in absolute terms, and really better than the champion: F1 up by at
 * least 0.001 (a tie is not an improvement) while accuracy drops by at most 0.005.
 */
export const defaultComparisonPolicy: ComparisonPolicy = {
  absolute: [
    { metric: 'accuracy', min: 0.8 },
    { metric: 'f1', min: 0.75 },
  ],
  change: [
    { metric: 'f1', minImprovement: 0.001 },
    { metric: 'accuracy', minImprovement: -0.005 },
  ],
  directions: { logLoss: 'lower' },
  minEvaluationRows: DEFAULT_MIN_EVALUATION_ROWS,
};

export type MetricValues = Record<string, number | undefined>;

export interface ModelEvidence {
  version: number | null;
  metrics: MetricValues;
  /** Per-row correctness on the shared evaluation rows, in the same row order for both sides. */
  correct?: boolean[];
  /** The model file's sha256: equal hashes are the same model. */
  sha256?: string;
}

/** What the judge weighs besides the two models: the new data's drift, when there is a previous snapshot. */
export interface JudgeContext {
  drift?: DriftNumbers | null;
}

export type CheckKind =
  'min-rows' | 'absolute-min' | 'absolute-max' | 'improvement' | 'relative-improvement' | 'significance' | 'differs' | 'drift-max';

export interface DecisionCheck {
  kind: CheckKind;
  metric: string;
  value: number | null;
  baseline: number | null;
  difference: number | null;
  threshold: number;
  pass: boolean;
  skipped?: boolean;
  note?: string;
}

export interface DecisionRecord {
  decision: 'PROMOTE' | 'REJECT';
  firstRun: boolean;
  reason: string;
  checks: DecisionCheck[];
  mcnemar?: McNemarResult;
  champion: { version: number | null; metrics: MetricValues } | null;
  candidate: { version: number | null; metrics: MetricValues };
  policy: ComparisonPolicy;
  /** Where the policy came from: the run's input, the model's stored policy (with its version), or the default. */
  policySource?: string;
  /** The new data's drift against the previous snapshot, with a plain reading; null on a model's first data. */
  drift?: DriftReading | null;
}

export function checkPolicy(policy: ComparisonPolicy): void {
  const bad = (msg: string): never => {
    throw new MlError('InvalidOptions', `comparison policy: ${msg}`);
  };
  for (const r of policy.absolute) {
    if (!r.metric) bad('absolute rule without metric');
    if (r.min === undefined && r.max === undefined) bad(`absolute rule for ${r.metric} has neither min nor max`);
    if (r.min !== undefined && r.max !== undefined && r.min > r.max) bad(`absolute rule for ${r.metric} has min > max`);
  }
  for (const r of policy.change) {
    if (!r.metric) bad('change rule without metric');
    if (r.minImprovement === undefined && r.minRelativeImprovement === undefined) {
      bad(`change rule for ${r.metric} has neither minImprovement nor minRelativeImprovement`);
    }
  }
  if (policy.minEvaluationRows !== undefined && !(Number.isInteger(policy.minEvaluationRows) && policy.minEvaluationRows >= 1))
    bad(`minEvaluationRows must be an integer >= 1, got ${JSON.stringify(policy.minEvaluationRows)}`);
  if (policy.significance && !(policy.significance.alpha > 0 && policy.significance.alpha < 1)) {
    bad(`significance alpha must be in (0, 1), got ${policy.significance.alpha}`);
  }
  for (const [key, value] of Object.entries(policy.drift ?? {})) {
    if (!(key in DRIFT_LIMIT_METRICS))
      bad(`unknown drift limit ${JSON.stringify(key)}; known: ${Object.keys(DRIFT_LIMIT_METRICS).join(', ')}`);
    if (typeof value !== 'number' || !(value >= 0)) bad(`drift limit ${key} must be a number >= 0, got ${JSON.stringify(value)}`);
  }
}

/** Metrics that are fractions: a bound outside [0, 1] could never (or always) pass. */
const BOUNDED_METRICS = new Set(['accuracy', 'precision', 'recall', 'f1', 'rocAuc']);

/**
 * A policy a person is storing (models policy): checkPolicy, and absolute bounds of fractions
 * within [0, 1]. Not part of checkPolicy, which runs inside workflows: a run recorded with such a
 * policy must replay as it ran.
 */
export function checkStoredPolicy(policy: ComparisonPolicy): void {
  checkPolicy(policy);
  for (const r of policy.absolute) {
    if (!BOUNDED_METRICS.has(r.metric)) continue;
    for (const [name, v] of [
      ['min', r.min],
      ['max', r.max],
    ] as const)
      if (v !== undefined && !(v >= 0 && v <= 1))
        throw new MlError(
          'InvalidOptions',
          `comparison policy: absolute ${name} of ${r.metric} must be in [0, 1], got ${JSON.stringify(v)}`,
        );
  }
}

/** Fails when the decision would rest on fewer held-out rows than the policy asks for. */
function rowsCheck(rows: number, policy: ComparisonPolicy): DecisionCheck {
  const threshold = minEvaluationRowsOf(policy);
  return {
    kind: 'min-rows',
    metric: 'examples',
    value: rows,
    baseline: null,
    difference: rows - threshold,
    threshold,
    pass: rows >= threshold,
    note:
      rows >= threshold
        ? `decided on ${rows} held-out rows (at least ${threshold})`
        : `too few evaluation rows to decide: ${rows} held-out rows, the policy needs at least ${threshold} (more data, or \`retrain --force\` to evaluate on every held-out row to date)`,
  };
}

const finite = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The judge, as a sequence of named steps: the policy is checked; the candidate must differ from
 * the champion and the new data's drift stay under the policy's maxima; then the absolute, change
 * and significance checks; the decision passes only when every check passes.
 */
export function compareModels(
  candidate: ModelEvidence,
  champion: ModelEvidence | null,
  policy: ComparisonPolicy = defaultComparisonPolicy,
  context: JudgeContext = {},
): DecisionRecord {
  checkPolicy(policy);
  const checks: DecisionCheck[] = finite(candidate.metrics.examples) ? [rowsCheck(candidate.metrics.examples, policy)] : [];
  if (champion) checks.push(differsCheck(candidate, champion));
  checks.push(...driftChecks(policy.drift ?? {}, context.drift ?? null));
  checks.push(...absoluteChecks(policy.absolute, candidate));
  checks.push(...changeChecks(policy, candidate, champion));
  const significance = policy.significance ? significanceCheck(policy.significance.alpha, candidate, champion) : null;
  if (significance) checks.push(significance.check);
  const mcnemar = significance?.mcnemar;
  const { decision, reason } = decide(checks, champion);

  return {
    decision,
    firstRun: champion === null,
    reason,
    checks,
    ...(mcnemar ? { mcnemar } : {}),
    champion: champion ? { version: champion.version, metrics: champion.metrics } : null,
    candidate: { version: candidate.version, metrics: candidate.metrics },
    policy,
    drift: context.drift ? readDrift(context.drift) : null,
  };
}

/** The candidate's metrics against the policy's absolute minima and maxima; a missing metric fails. */
function absoluteChecks(rules: readonly AbsoluteRule[], candidate: ModelEvidence): DecisionCheck[] {
  const checks: DecisionCheck[] = [];
  for (const rule of rules) {
    const value = candidate.metrics[rule.metric];
    const bounds: Array<['absolute-min' | 'absolute-max', number]> = [];
    if (rule.min !== undefined) bounds.push(['absolute-min', rule.min]);
    if (rule.max !== undefined) bounds.push(['absolute-max', rule.max]);
    for (const [kind, threshold] of bounds) {
      if (!finite(value)) {
        checks.push({
          kind,
          metric: rule.metric,
          value: null,
          baseline: null,
          difference: null,
          threshold,
          pass: false,
          note: 'missing metric fails',
        });
        continue;
      }
      const pass = kind === 'absolute-min' ? value >= threshold : value <= threshold;
      checks.push({ kind, metric: rule.metric, value, baseline: null, difference: value - threshold, threshold, pass });
    }
  }

  return checks;
}

/** The candidate's improvement over the champion, absolute and relative; skipped on a first run. */
function changeChecks(policy: ComparisonPolicy, candidate: ModelEvidence, champion: ModelEvidence | null): DecisionCheck[] {
  const checks: DecisionCheck[] = [];
  const direction = (metric: string): Direction => policy.directions?.[metric] ?? 'higher';
  for (const rule of policy.change) {
    const value = candidate.metrics[rule.metric];
    const baseline = champion?.metrics[rule.metric];
    const rows: Array<['improvement' | 'relative-improvement', number]> = [];
    if (rule.minImprovement !== undefined) rows.push(['improvement', rule.minImprovement]);
    if (rule.minRelativeImprovement !== undefined) rows.push(['relative-improvement', rule.minRelativeImprovement]);
    for (const [kind, threshold] of rows) {
      if (!champion) {
        checks.push({
          kind,
          metric: rule.metric,
          value: finite(value) ? value : null,
          baseline: null,
          difference: null,
          threshold,
          pass: true,
          skipped: true,
          note: 'first run: no champion to compare with',
        });
        continue;
      }
      if (!finite(value) || !finite(baseline)) {
        checks.push({
          kind,
          metric: rule.metric,
          value: finite(value) ? value : null,
          baseline: finite(baseline) ? baseline : null,
          difference: null,
          threshold,
          pass: false,
          note: `missing metric fails (${!finite(value) ? 'candidate' : 'champion'})`,
        });
        continue;
      }
      const improvement = direction(rule.metric) === 'higher' ? value - baseline : baseline - value;
      if (kind === 'improvement') {
        checks.push({ kind, metric: rule.metric, value, baseline, difference: improvement, threshold, pass: improvement >= threshold });
      } else if (baseline === 0) {
        const relative = improvement > 0 ? Infinity : improvement < 0 ? -Infinity : 0;
        checks.push({
          kind,
          metric: rule.metric,
          value,
          baseline,
          difference: relative === 0 ? 0 : null,
          threshold,
          pass: relative >= threshold,
          note: `baseline is 0: relative change taken as ${relative === 0 ? '0' : relative > 0 ? '+Infinity' : '-Infinity'}`,
        });
      } else {
        const relative = improvement / Math.abs(baseline);
        checks.push({ kind, metric: rule.metric, value, baseline, difference: relative, threshold, pass: relative >= threshold });
      }
    }
  }

  return checks;
}

/** McNemar's exact test on the paired per-row correctness: the candidate must be right significantly more often. */
function significanceCheck(
  alpha: number,
  candidate: ModelEvidence,
  champion: ModelEvidence | null,
): { check: DecisionCheck; mcnemar?: McNemarResult } {
  if (!champion) {
    return {
      check: {
        kind: 'significance',
        metric: 'mcnemar_p',
        value: null,
        baseline: null,
        difference: null,
        threshold: alpha,
        pass: true,
        skipped: true,
        note: 'first run: no champion to compare with',
      },
    };
  }
  if (!candidate.correct || !champion.correct || candidate.correct.length !== champion.correct.length) {
    return {
      check: {
        kind: 'significance',
        metric: 'mcnemar_p',
        value: null,
        baseline: null,
        difference: null,
        threshold: alpha,
        pass: false,
        note: 'paired predictions missing: significance cannot be shown',
      },
    };
  }
  const mcnemar = mcnemarExact(champion.correct, candidate.correct);
  const p = mcnemar.pValueCandidateBetter;
  return {
    mcnemar,
    check: {
      kind: 'significance',
      metric: 'mcnemar_p',
      value: p,
      baseline: null,
      difference: p - alpha,
      threshold: alpha,
      pass: p <= alpha,
      note: `candidate right where champion wrong: ${mcnemar.candidateOnly}; champion right where candidate wrong: ${mcnemar.championOnly}`,
    },
  };
}

/** PROMOTE when every check passed, else REJECT; the reason names the failed checks (or, on a first run, the passed ones). */
function decide(checks: DecisionCheck[], champion: ModelEvidence | null): { decision: 'PROMOTE' | 'REJECT'; reason: string } {
  const failed = checks.filter((c) => !c.pass);
  const decision = failed.length === 0 ? 'PROMOTE' : 'REJECT';
  const describe = (c: DecisionCheck): string =>
    c.kind === 'differs' || c.kind === 'min-rows'
      ? (c.note ?? 'the candidate does not differ from the champion')
      : (c.kind === 'improvement' || c.kind === 'relative-improvement') && c.difference !== null && c.value !== null
        ? `${c.metric} ${c.kind} ${signed(c.difference)} vs threshold ${fmt(c.threshold)} (candidate ${fmt(c.value)}${c.baseline !== null ? `, champion ${fmt(c.baseline)}` : ''})`
        : `${c.metric} ${c.kind} ${c.value === null ? 'missing' : fmt(c.value)} vs threshold ${fmt(c.threshold)}${c.baseline !== null ? ` (champion ${fmt(c.baseline)})` : ''}`;
  const reason =
    decision === 'PROMOTE'
      ? champion
        ? `candidate passed all ${checks.length} checks against champion v${champion.version}`
        : `first run: no champion; candidate met every absolute threshold (${checks
            .filter((c) => !c.skipped)
            .map(describe)
            .join('; ')})`
      : `failed ${failed.length} of ${checks.length} checks: ${failed.map(describe).join('; ')}`;

  return { decision, reason };
}

/** Fails when promoting the candidate would change nothing: the same bytes, or the same answers. */
function differsCheck(candidate: ModelEvidence, champion: ModelEvidence): DecisionCheck {
  const base = { kind: 'differs' as const, metric: 'model', value: null, baseline: null, difference: null, threshold: 0 };
  if (candidate.sha256 && candidate.sha256 === champion.sha256) {
    return {
      ...base,
      pass: false,
      note: `the candidate is byte-identical to champion v${champion.version} (sha256 ${candidate.sha256.slice(0, 12)})`,
    };
  }
  const sameRows =
    candidate.correct !== undefined &&
    champion.correct !== undefined &&
    candidate.correct.length === champion.correct.length &&
    candidate.correct.every((c, i) => c === champion.correct![i]);
  const metrics = Object.keys(candidate.metrics);
  const sameMetrics = metrics.length > 0 && metrics.every((m) => candidate.metrics[m] === champion.metrics[m]);
  if (sameRows && sameMetrics) {
    return {
      ...base,
      pass: false,
      note: `the candidate equals champion v${champion.version} on all ${candidate.correct!.length} evaluation rows (same rows right, same metrics)`,
    };
  }
  return { ...base, pass: true, note: 'the candidate differs from the champion' };
}

function driftChecks(limits: DriftLimits, drift: DriftNumbers | null): DecisionCheck[] {
  return (Object.keys(limits) as Array<keyof DriftLimits>).map((key) => {
    const metric = DRIFT_LIMIT_METRICS[key];
    const threshold = limits[key]!;
    if (!drift) {
      return {
        kind: 'drift-max',
        metric,
        value: null,
        baseline: null,
        difference: null,
        threshold,
        pass: true,
        skipped: true,
        note: 'no previous data to compare with',
      };
    }
    const value = drift[metric];
    return { kind: 'drift-max', metric, value, baseline: null, difference: value - threshold, threshold, pass: value <= threshold };
  });
}

/** A change with its sign: +0.0010, -0.0050. */
function signed(v: number): string {
  return v > 0 ? `+${fmt(v)}` : fmt(v);
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

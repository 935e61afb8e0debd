/**
 * Checks a run's input the moment it starts, whatever client sent it (the CLI, another SDK, the
 * `temporal` CLI, the Web UI): a bad value fails the run at once with a non-retryable
 * `InvalidInput` naming the field, instead of wedging the workflow later in a retry loop. The CLI
 * runs the same checks first, to answer with a usage error naming the flag. Pure, with no ML
 * imports: the ML rules it needs are copied in ./input-rules.ts (and tested equal to the originals).
 */
import { durationMs } from './durations.ts';
import { checkHyperparameterValues, checkPolicyValues, checkReplayValues, MIN_TRAINING_EXAMPLES } from './input-rules.ts';
import type { RetrainInput, Trigger } from './definitions.ts';

const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;

export interface DurationBounds {
  min: number;
  max: number;
}

/** What each duration of a run may be (milliseconds). */
export const DURATION_BOUNDS = {
  approvalTimeout: { min: SECOND, max: 365 * DAY },
  trainingHeartbeatTimeout: { min: SECOND, max: DAY },
  stepTimeout: { min: SECOND, max: DAY },
} satisfies Record<string, DurationBounds>;

const TRIGGERS: readonly Trigger[] = ['manual', 'schedule', 'startup', 'decay', 'drift', 'test'];

export class InvalidInputError extends Error {}

function human(ms: number): string {
  if (ms > 0 && ms % DAY === 0) return ms === DAY ? '1 day' : `${ms / DAY} days`;
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  return ms % SECOND === 0 ? `${ms / SECOND}s` : `${ms}ms`;
}

/** Parses a duration such as "10m" or "24 hours"; throws a message naming `what` unless it is within bounds. */
export function checkDuration(value: unknown, what: string, bounds: DurationBounds): number {
  let ms: number;
  try {
    if (typeof value !== 'string' && typeof value !== 'number') throw new Error('not a string');
    ms = durationMs(value);
  } catch {
    throw new InvalidInputError(`${what} must be a duration such as 30s, 10m, 2h or "24 hours", got ${JSON.stringify(value)}`);
  }
  if (!Number.isFinite(ms) || ms < bounds.min || ms > bounds.max) {
    throw new InvalidInputError(`${what} must be between ${human(bounds.min)} and ${human(bounds.max)}, got ${JSON.stringify(value)}`);
  }
  return ms;
}

function wrap<T>(what: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw new InvalidInputError(`${what}: ${(err as Error).message}`);
  }
}

/** Throws InvalidInputError with a precise message for the first thing wrong in `input`. */
export function checkRetrainInput(input: unknown): RetrainInput {
  if (typeof input !== 'object' || input === null)
    throw new InvalidInputError(`the run's input must be an object, got ${JSON.stringify(input)}`);
  const i = input as Partial<RetrainInput>;
  if (typeof i.model !== 'string' || i.model.trim() === '')
    throw new InvalidInputError(`model must be a non-empty string, got ${JSON.stringify(i.model)}`);
  if (!TRIGGERS.includes(i.trigger as Trigger))
    throw new InvalidInputError(`trigger must be one of ${TRIGGERS.join(', ')}, got ${JSON.stringify(i.trigger)}`);
  if (i.windowEnd !== undefined && (typeof i.windowEnd !== 'string' || Number.isNaN(Date.parse(i.windowEnd)))) {
    throw new InvalidInputError(`windowEnd must be an ISO time, got ${JSON.stringify(i.windowEnd)}`);
  }
  if (i.reason !== undefined && typeof i.reason !== 'string')
    throw new InvalidInputError(`reason must be a string, got ${JSON.stringify(i.reason)}`);
  if (i.force !== undefined && typeof i.force !== 'boolean')
    throw new InvalidInputError(`force must be true or false, got ${JSON.stringify(i.force)}`);
  if (i.requireApproval !== undefined && typeof i.requireApproval !== 'boolean') {
    throw new InvalidInputError(`requireApproval must be true or false, got ${JSON.stringify(i.requireApproval)}`);
  }
  if (i.approval !== undefined) {
    checkDuration(i.approval?.timeout, 'approval.timeout', DURATION_BOUNDS.approvalTimeout);
    if (i.approval.onTimeout !== 'approve' && i.approval.onTimeout !== 'reject') {
      throw new InvalidInputError(`approval.onTimeout must be approve or reject, got ${JSON.stringify(i.approval.onTimeout)}`);
    }
  }
  if (i.trainingHeartbeatTimeout !== undefined)
    checkDuration(i.trainingHeartbeatTimeout, 'trainingHeartbeatTimeout', DURATION_BOUNDS.trainingHeartbeatTimeout);
  if (i.stepTimeout !== undefined) checkDuration(i.stepTimeout, 'stepTimeout', DURATION_BOUNDS.stepTimeout);
  wrap('hyperparameters', () => checkHyperparameterValues(i.hyperparameters));
  if (i.mode !== undefined && i.mode !== 'full' && i.mode !== 'update')
    throw new InvalidInputError(`mode must be full or update, got ${JSON.stringify(i.mode)}`);
  if (i.historyRows !== undefined && (!Number.isInteger(i.historyRows) || i.historyRows < MIN_TRAINING_EXAMPLES || i.historyRows > 1e9))
    throw new InvalidInputError(
      `historyRows must be an integer from ${MIN_TRAINING_EXAMPLES} to 1000000000, got ${JSON.stringify(i.historyRows)}`,
    );
  if (i.replay !== undefined) {
    if (typeof i.replay !== 'object' || i.replay === null)
      throw new InvalidInputError(`replay must be an object, got ${JSON.stringify(i.replay)}`);
    wrap('replay', () => checkReplayValues(i.replay!));
  }
  if (i.policy !== undefined) {
    if (typeof i.policy !== 'object' || i.policy === null || !Array.isArray(i.policy.absolute) || !Array.isArray(i.policy.change)) {
      throw new InvalidInputError('policy must be an object with "absolute" and "change" lists');
    }
    wrap('policy', () => checkPolicyValues(i.policy!));
  }
  return i as RetrainInput;
}

/**
 * The traffic of `nightshift demo traffic`: messages sent to the model server as prediction
 * requests at a steady rate, their true labels (a share flipped, when asked) sent as feedback
 * after a delay, progress on stderr. `sendTraffic` reads as its steps; each step is a method of
 * `TrafficSender`, which holds the counts.
 */
import type { SpamAssassinMessage } from '../../data/spam-assassin.ts';
import { Rng } from '../../ml/rng.ts';
import { log } from '../output.ts';

const PROGRESS_EVERY_MS = 2000;
const FEEDBACK_TICK_MS = 200;
const FEEDBACK_BATCH = 1000;
const MAX_IN_FLIGHT = 16;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_CONSECUTIVE_FAILURES = 10;

export interface TrafficOptions {
  model: string;
  url: string;
  rate: number;
  feedbackDelayMs: number;
  labelNoise: number;
  limit: number;
  durationMs: number;
  seed: number;
  token: string | null;
}

export interface TrafficSummary {
  model: string;
  url: string;
  /** Why sending stopped: limit, duration, feed-exhausted, interrupted. */
  stoppedBy: string;
  seconds: number;
  sent: number;
  answered: number;
  failed: number;
  /** Predicted labels, and which versions answered. */
  predicted: Record<string, number>;
  versions: Record<string, number>;
  /** Predictions that matched the true label (not the noisy one sent as feedback). */
  accuracy: number | null;
  feedback: { sent: number; flipped: number; results: Record<string, number>; failed: number };
}

/** A label owed to the server as feedback, from `due` on. */
interface Owed {
  due: number;
  item: { prediction_id: string; label: string };
}

interface PredictReply {
  predictions?: Array<{ label: string; probabilities: Record<string, number>; prediction_id: string }>;
  model_version?: string;
  message?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** Sends the traffic; the messages come from the caller (the unreleased part of the demo feed). */
export async function sendTraffic(
  messages: SpamAssassinMessage[],
  o: TrafficOptions,
  stop: { requested: boolean },
): Promise<TrafficSummary> {
  const sender = new TrafficSender(messages, o, stop);
  sender.startReporting();
  try {
    await sender.sendPredictions();
    await sender.waitForInFlightPredictions();
    await sender.waitForOwedFeedback();
  } finally {
    sender.stopReporting();
  }
  await sender.sendAllOwedFeedback();
  return sender.finish();
}

class TrafficSender {
  private readonly started = Date.now();
  private readonly headers: Record<string, string> = { 'content-type': 'application/json' };
  private readonly rng: Rng;
  private readonly s: TrafficSummary;
  private correct = 0;
  private consecutiveFailures = 0;
  private lastError = '';
  private readonly owed: Owed[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly feedbackInFlight = new Set<Promise<void>>();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly messages: SpamAssassinMessage[],
    private readonly o: TrafficOptions,
    private readonly stop: { requested: boolean },
  ) {
    if (o.token) this.headers.authorization = `Bearer ${o.token}`;
    this.rng = new Rng(o.seed);
    this.s = {
      model: o.model,
      url: o.url,
      stoppedBy: 'limit',
      seconds: 0,
      sent: 0,
      answered: 0,
      failed: 0,
      predicted: {},
      versions: {},
      accuracy: null,
      feedback: { sent: 0, flipped: 0, results: {}, failed: 0 },
    };
  }

  /** Progress every 2 s; the feedback that is due, every 200 ms. */
  startReporting(): void {
    this.timers = [
      setInterval(() => this.reportProgress(), PROGRESS_EVERY_MS),
      setInterval(() => {
        const p = this.sendFeedback(false).finally(() => this.feedbackInFlight.delete(p));
        this.feedbackInFlight.add(p);
      }, FEEDBACK_TICK_MS),
    ];
  }

  stopReporting(): void {
    for (const t of this.timers) clearInterval(t);
  }

  /** One request a message at the rate asked, at most MAX_IN_FLIGHT at once, until the limit, the duration or a stop. */
  async sendPredictions(): Promise<void> {
    const count = Math.min(this.o.limit, this.messages.length);
    if (count < this.o.limit) this.s.stoppedBy = 'feed-exhausted';
    for (let i = 0; i < count; i++) {
      const stoppedBy = this.reasonToStop();
      if (stoppedBy) {
        this.s.stoppedBy = stoppedBy;
        return;
      }
      if (this.consecutiveFailures >= MAX_CONSECUTIVE_FAILURES)
        throw new Error(`the model server at ${this.o.url} failed ${this.consecutiveFailures} requests in a row: ${this.lastError}`);
      await this.waitForSlot(i);
      const flip = this.rng.next() < this.o.labelNoise;
      const p = this.predictOne(this.messages[i], flip).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
      this.s.sent++;
    }
  }

  async waitForInFlightPredictions(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  /** The labels still owed follow after their delay (at once when interrupted). */
  async waitForOwedFeedback(): Promise<void> {
    while (this.owed.length && !this.stop.requested)
      await sleep(Math.min(FEEDBACK_TICK_MS, Math.max(0, Math.min(...this.owed.map((f) => f.due)) - Date.now())));
  }

  async sendAllOwedFeedback(): Promise<void> {
    await Promise.all(this.feedbackInFlight);
    await this.sendFeedback(true);
  }

  finish(): TrafficSummary {
    this.s.seconds = Math.round((Date.now() - this.started) / 100) / 10;
    this.s.accuracy = this.s.answered ? this.correct / this.s.answered : null;
    this.reportProgress();
    return this.s;
  }

  private reasonToStop(): string | null {
    if (this.stop.requested) return 'interrupted';
    if (Date.now() - this.started >= this.o.durationMs) return 'duration';
    return null;
  }

  /** Until message i's time at the rate asked, and a free request slot. */
  private async waitForSlot(i: number): Promise<void> {
    const wait = this.started + (i * 1000) / this.o.rate - Date.now();
    if (wait > 0) await sleep(wait);
    while (this.inFlight.size >= MAX_IN_FLIGHT) await Promise.race(this.inFlight);
  }

  private async predictOne(m: SpamAssassinMessage, flip: boolean): Promise<void> {
    try {
      const res = await fetch(`${this.o.url}/models/${encodeURIComponent(this.o.model)}/invocations`, {
        method: 'POST',
        headers: this.headers,
        body: JSON.stringify({ inputs: [m.text] }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const body = (await res.json()) as PredictReply;
      const p = body.predictions?.[0];
      if (!res.ok || !p) throw new Error(`${res.status}: ${body.message ?? 'no prediction in the reply'}`);
      this.s.answered++;
      this.consecutiveFailures = 0;
      bump(this.s.predicted, p.label);
      bump(this.s.versions, body.model_version ?? '?');
      if (p.label === m.label) this.correct++;
      this.oweFeedback(p.prediction_id, m.label, Object.keys(p.probabilities), flip);
    } catch (err) {
      this.s.failed++;
      this.consecutiveFailures++;
      this.lastError = (err as Error).message;
    }
  }

  /** The true label (or, flipped, another of the model's labels), due after the feedback delay. */
  private oweFeedback(predictionId: string, trueLabel: string, labels: string[], flip: boolean): void {
    const others = labels.filter((l) => l !== trueLabel);
    const label = flip && others.length ? others[0] : trueLabel;
    if (label !== trueLabel) this.s.feedback.flipped++;
    this.owed.push({ due: Date.now() + this.o.feedbackDelayMs, item: { prediction_id: predictionId, label } });
  }

  /** The feedback due now (or all of it), in batches of FEEDBACK_BATCH. */
  private async sendFeedback(all: boolean): Promise<void> {
    const now = Date.now();
    for (;;) {
      const due = this.owed.filter((f) => all || f.due <= now).slice(0, FEEDBACK_BATCH);
      if (due.length === 0) return;
      this.owed.splice(0, this.owed.length, ...this.owed.filter((f) => !due.includes(f)));
      try {
        const res = await fetch(`${this.o.url}/v1/feedback`, {
          method: 'POST',
          headers: this.headers,
          body: JSON.stringify({ model: this.o.model, feedback: due.map((d) => d.item) }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const body = (await res.json()) as { results?: Array<{ status: string }>; message?: string };
        if (!res.ok || !body.results) throw new Error(`${res.status}: ${body.message ?? 'no results in the reply'}`);
        this.s.feedback.sent += due.length;
        for (const r of body.results) bump(this.s.feedback.results, r.status);
      } catch (err) {
        this.s.feedback.failed += due.length;
        this.lastError = `feedback: ${(err as Error).message}`;
      }
    }
  }

  private reportProgress(): void {
    const s = this.s;
    const secs = (Date.now() - this.started) / 1000;
    log(
      `demo traffic: ${s.sent}/${Math.min(this.o.limit, this.messages.length)} sent (${(s.sent / Math.max(secs, 0.001)).toFixed(1)}/s), ` +
        `accuracy vs true labels ${s.answered ? (this.correct / s.answered).toFixed(3) : '-'}, feedback ${s.feedback.sent} sent ` +
        `(${s.feedback.flipped} flipped), ${s.failed + s.feedback.failed} errors${this.lastError ? ` (last: ${this.lastError})` : ''}`,
    );
  }
}

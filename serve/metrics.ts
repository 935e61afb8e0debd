/**
 * Prometheus metrics of one server process, in one registry (prom-client). Labels are bounded:
 * model, version, predicted label (a model's label set), route pattern and status code; never a
 * prediction id or a text. Histograms have explicit buckets chosen for a sub-millisecond model.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const RELOAD_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

const TOTAL_NAMED_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createServeMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'nightshift_' });
  // Three of prom-client's defaults are gauges named like counters (…_total), which Prometheus'
  // naming rules (promtool check metrics) refuse; each is the sum of a per-type gauge kept beside it.
  for (const name of TOTAL_NAMED_GAUGES) registry.removeSingleMetric(`nightshift_${name}`);
  const r = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: 'nightshift_http_requests_total',
      help: 'HTTP requests by route pattern, method and status code',
      labelNames: ['route', 'method', 'status'] as const,
      registers: r,
    }),
    httpDuration: new Histogram({
      name: 'nightshift_http_request_duration_seconds',
      help: 'HTTP request duration by route pattern (from request received to reply sent)',
      labelNames: ['route'] as const,
      buckets: LATENCY_BUCKETS,
      registers: r,
    }),
    predictionLatency: new Histogram({
      name: 'nightshift_prediction_latency_seconds',
      help: 'Time from request received to predictions ready, per prediction request, by model and version',
      labelNames: ['model', 'version'] as const,
      buckets: LATENCY_BUCKETS,
      registers: r,
    }),
    batchSize: new Histogram({
      name: 'nightshift_prediction_batch_texts',
      help: 'Texts per prediction request',
      labelNames: ['model', 'version'] as const,
      buckets: BATCH_BUCKETS,
      registers: r,
    }),
    predictions: new Counter({
      name: 'nightshift_predictions_total',
      help: 'Predictions by model, version and predicted label',
      labelNames: ['model', 'version', 'label'] as const,
      registers: r,
    }),
    feedback: new Counter({
      name: 'nightshift_feedback_total',
      help: 'Feedback items by model and result (recorded, unchanged, conflict, unknown_prediction, unknown_label)',
      labelNames: ['model', 'result'] as const,
      registers: r,
    }),
    liveAccuracy: new Gauge({
      name: 'nightshift_live_accuracy',
      help: 'Accuracy over the last N labelled predictions of the served version (from feedback)',
      labelNames: ['model', 'version'] as const,
      registers: r,
    }),
    liveLabelled: new Gauge({
      name: 'nightshift_live_labelled',
      help: 'Labelled predictions behind nightshift_live_accuracy',
      labelNames: ['model', 'version'] as const,
      registers: r,
    }),
    servedVersion: new Gauge({
      name: 'nightshift_served_version',
      help: 'The version number each model is being served at (absent: no production version)',
      labelNames: ['model'] as const,
      registers: r,
    }),
    modelLoads: new Counter({
      name: 'nightshift_model_loads_total',
      help: 'Model versions loaded, by kind: initial (at start) or reload (a promotion)',
      labelNames: ['model', 'version', 'kind'] as const,
      registers: r,
    }),
    modelLoadFailures: new Counter({
      name: 'nightshift_model_load_failures_total',
      help: 'Failed loads (unreachable registry, sha256 mismatch); the previous version keeps serving',
      labelNames: ['model'] as const,
      registers: r,
    }),
    reloadSeconds: new Histogram({
      name: 'nightshift_model_reload_seconds',
      help: 'Time to load, verify and swap in a newly promoted version',
      labelNames: ['model'] as const,
      buckets: RELOAD_BUCKETS,
      registers: r,
    }),
    logWritten: new Counter({ name: 'nightshift_prediction_log_written_total', help: 'Prediction log rows written', registers: r }),
    logDropped: new Counter({
      name: 'nightshift_prediction_log_dropped_total',
      help: 'Prediction log rows dropped because the buffer was full (PostgreSQL slow or down)',
      registers: r,
    }),
    logBuffered: new Gauge({ name: 'nightshift_prediction_log_buffered', help: 'Prediction log rows waiting to be written', registers: r }),
    logWriteFailures: new Counter({
      name: 'nightshift_prediction_log_write_failures_total',
      help: 'Failed batch writes of the prediction log (retried while the buffer has room)',
      registers: r,
    }),
    listenerConnected: new Gauge({
      name: 'nightshift_promotion_listener_connected',
      help: '1 while the LISTEN connection for promotions is up (the poll covers the gaps)',
      registers: r,
    }),
  };
}

export type ServeMetrics = ReturnType<typeof createServeMetrics>;

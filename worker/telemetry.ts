/**
 * What a worker process reports about itself, each part opt-in from the environment:
 * - NIGHTSHIFT_WORKER_METRICS=HOST:PORT: the SDK's own metrics (task latencies, slots, polls,
 *   `temporal_*`) for Prometheus, served by the SDK runtime at http://HOST:PORT/metrics.
 * - NIGHTSHIFT_LOG_FORMAT=json: the SDK's logs (worker, activity and workflow loggers) as one JSON
 *   object a line on stderr; activity lines carry workflowId, workflowRunId, activityType, attempt.
 *   NIGHTSHIFT_LOG_LEVEL (default WARN, INFO with json).
 * - OTEL_TRACES_EXPORTER=otlp|console: OpenTelemetry spans of workflows and activities through
 *   @temporalio/interceptors-opentelemetry; the exporter reads the standard OTEL_EXPORTER_OTLP_*
 *   variables, the batch processor OTEL_BSP_*, the service name OTEL_SERVICE_NAME. Off otherwise.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime, type LogEntry, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base';

// The workflow interceptors of the tracing (workflows/tracing-interceptors.ts, or .js from dist/),
// the module Temporal's OpenTelemetry setup has the application write.
const here = fileURLToPath(import.meta.url);
const TRACING_INTERCEPTORS = path.join(path.dirname(here), '..', 'workflows', `tracing-interceptors${path.extname(here)}`);

const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export function logFormat(env: NodeJS.ProcessEnv = process.env): 'json' | 'text' {
  const raw = env.NIGHTSHIFT_LOG_FORMAT;
  if (!raw || raw === 'text') return 'text';
  if (raw === 'json') return 'json';
  throw new Error(`NIGHTSHIFT_LOG_FORMAT must be "json" or "text", got ${JSON.stringify(raw)}`);
}

function logLevel(env: NodeJS.ProcessEnv, format: 'json' | 'text'): LogLevel {
  const raw = env.NIGHTSHIFT_LOG_LEVEL?.toUpperCase();
  if (!raw) return format === 'json' ? 'INFO' : 'WARN';
  if (!(LEVELS as string[]).includes(raw))
    throw new Error(`NIGHTSHIFT_LOG_LEVEL must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as LogLevel;
}

/** One JSON object a line: time, level, message, then the SDK's attributes (ids, attempt, ...). */
export function jsonLogLine(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  return JSON.stringify({ time, level: entry.level.toLowerCase(), message: entry.message, ...entry.meta }, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
    return value;
  });
}

/** "127.0.0.1:9464" (or [::1]:9464); a port alone binds loopback. */
export function metricsBindAddress(env: NodeJS.ProcessEnv = process.env): string | null {
  const raw = env.NIGHTSHIFT_WORKER_METRICS;
  if (!raw) return null;
  const address = /^\d+$/.test(raw) ? `127.0.0.1:${raw}` : raw;
  if (!/^(\[[0-9a-fA-F:]+\]|[^:[\]]+):\d{1,5}$/.test(address))
    throw new Error(`NIGHTSHIFT_WORKER_METRICS must be HOST:PORT (say 127.0.0.1:9464), got ${JSON.stringify(raw)}`);
  return address;
}

/**
 * Installs the SDK runtime once per process, with the logger and metrics the environment asks
 * for. `shutdownSignals` as Runtime.install's (the worker lets the SDK handle SIGINT/SIGTERM;
 * `nightshift up` handles them itself).
 */
export function installRuntime(options: { shutdownSignals: NodeJS.Signals[] }, env: NodeJS.ProcessEnv = process.env): void {
  const format = logFormat(env);
  const level = logLevel(env, format);
  const logger =
    format === 'json'
      ? new DefaultLogger(level, (entry) => void process.stderr.write(`${jsonLogLine(entry)}\n`))
      : new DefaultLogger(level);
  const bindAddress = metricsBindAddress(env);
  Runtime.install({
    logger,
    shutdownSignals: options.shutdownSignals,
    ...(bindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress } } } } : {}),
  });
}

/**
 * Logs each activity's end through the SDK's activity logger, whose attributes name the workflow
 * and run: the activities themselves log nothing, and the SDK logs their completion at DEBUG.
 */
class ActivityLogInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: ActivityContext) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const started = Date.now();
    try {
      const result = await next(input);
      this.ctx.log.info('activity completed', { durationMs: Date.now() - started });
      return result;
    } catch (err) {
      this.ctx.log.warn('activity failed', { durationMs: Date.now() - started, error: (err as Error).message });
      throw err;
    }
  }
}

export interface WorkerTelemetry {
  /** Interceptor modules the workflow bundle must include (tracing). */
  workflowInterceptorModules: string[];
  /** Merged into Worker.create's options. */
  workerOptions: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** Flushes spans still buffered. */
  shutdown(): Promise<void>;
}

function traceExporter(env: NodeJS.ProcessEnv): SpanExporter | null {
  const raw = env.OTEL_TRACES_EXPORTER;
  if (!raw || raw === 'none') return null;
  if (raw === 'otlp') return new OTLPTraceExporter();
  if (raw === 'console') return new ConsoleSpanExporter();
  throw new Error(`OTEL_TRACES_EXPORTER must be otlp, console or none, got ${JSON.stringify(raw)}`);
}

let installedTracing: WorkerTelemetry | null = null;

/** Interceptors and sinks for logging, and for tracing when OTEL_TRACES_EXPORTER asks for it. */
export function workerTelemetry(env: NodeJS.ProcessEnv = process.env): WorkerTelemetry {
  const activityLog = (ctx: ActivityContext) => ({ inbound: new ActivityLogInterceptor(ctx) });
  const exporter = traceExporter(env);
  if (!exporter) {
    return {
      workflowInterceptorModules: [],
      workerOptions: { interceptors: { activity: [activityLog] } },
      shutdown: async () => undefined,
    };
  }
  // One tracer provider per process, however many workers it runs.
  if (installedTracing) return installedTracing;
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME || 'nightshift-worker' }).merge(envDetectorSync.detect());
  const processor = new BatchSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  installedTracing = {
    workflowInterceptorModules: [TRACING_INTERCEPTORS],
    workerOptions: {
      interceptors: {
        activity: [
          activityLog,
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    shutdown: () => provider.shutdown(),
  };
  return installedTracing;
}

/**
 * The workflow side of OpenTelemetry tracing (Temporal's documented setup): the interceptors that
 * open spans for workflow runs, activities and child workflows, and carry the trace context along.
 * Not a workflow: the worker names this module in `workflowInterceptorModules` when tracing is on
 * (worker/telemetry.ts); the spans leave the sandbox through the exporter sink.
 */
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new OpenTelemetryInboundInterceptor()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});

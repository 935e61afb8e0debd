/**
 * Errors with an HTTP status, and their bodies in each protocol's shape: MLflow's
 * {"error_code", "message"} (error codes as MLflow's REST API names them) everywhere but under
 * /v2, where the Open Inference Protocol's {"error": message} is used.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const ERROR_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'RESOURCE_DOES_NOT_EXIST',
  405: 'BAD_REQUEST',
  413: 'REQUEST_LIMIT_EXCEEDED',
  415: 'BAD_REQUEST',
  503: 'TEMPORARILY_UNAVAILABLE',
};

export function errorCode(status: number): string {
  return ERROR_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
}

export function errorBody(url: string, status: number, message: string): Record<string, string> {
  return url.startsWith('/v2/') || url === '/v2' ? { error: message } : { error_code: errorCode(status), message };
}

/** Reply schemas for error bodies, so Fastify serializes them like the rest. */
export const MLFLOW_ERROR_SCHEMA = {
  type: 'object',
  properties: { error_code: { type: 'string' }, message: { type: 'string' } },
  required: ['error_code', 'message'],
} as const;

export const V2_ERROR_SCHEMA = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] } as const;

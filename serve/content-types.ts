/**
 * Request bodies as the stock clients send them, beside the application/json parser
 * (json-body.ts):
 * - Under /v2 a body is JSON whatever its Content-Type says (tritonclient's synchronous client
 *   sends none, its asyncio client application/octet-stream), or, with an
 *   Inference-Header-Content-Length header, the binary tensor data extension (binary-tensors.ts).
 * - Elsewhere (MLflow's scoring protocol) text/csv is a table with a `text` column, as MLflow's own
 *   server takes it; another type is a 415.
 * - A gzip or deflate body (Content-Encoding) is decoded before it is parsed, its decoded size
 *   counting against the body limit; another encoding is a 415 naming it.
 * Replies under /v2 say `Content-Type: application/json` exactly: kserve's client shows the
 * server's error text only then.
 */
import { PassThrough, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadBinaryBody, decodeBinaryRequest, headerLength, INFERENCE_HEADER } from './binary-tensors.ts';
import { HttpError } from './http-errors.ts';
import { parseJsonBody } from './json-body.ts';
import { TEXT_COLUMN } from './inputs.ts';

const isV2 = (url: string): boolean => url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?');

/** A /v2 body: binary tensor data when the header says so, else JSON. */
export function v2Body(headers: FastifyRequest['headers'], body: Buffer): unknown {
  const jsonLength = headers[INFERENCE_HEADER];
  if (jsonLength !== undefined) return decodeBinaryRequest(body, headerLength(jsonLength, body.length));
  return parseJsonBody(body.toString('utf8'));
}

/** RFC 4180 CSV: comma-separated fields, "quoted" ones with "" for a quote; CRLF or LF lines; blank lines skipped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    row.push(field);
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') endRow();
    else if (c === '\r' && text[i + 1] === '\n') {
      endRow();
      i++;
    } else field += c;
  }
  if (quoted) throw new HttpError(400, 'the CSV body ends inside a quoted field');
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/** A CSV body (a header line, then one row per text) as MLflow's dataframe_split. */
export function csvBody(text: string): { dataframe_split: { columns: string[]; data: string[][] } } {
  if (text.includes('\0')) {
    throw new HttpError(400, 'the CSV body has a NUL character, which is refused: the prediction log (PostgreSQL) cannot store it');
  }
  const [columns, ...data] = parseCsv(text);
  if (!columns) throw new HttpError(400, 'the CSV body is empty; send a header line naming a "text" column, then one row per text');
  if (!columns.includes(TEXT_COLUMN)) {
    throw new HttpError(400, `the CSV header must name a "text" column (got ${columns.map((c) => JSON.stringify(c)).join(', ')})`);
  }
  return { dataframe_split: { columns, data } };
}

const unsupported = (contentType: string | undefined): HttpError =>
  new HttpError(
    415,
    `unsupported Content-Type ${JSON.stringify(contentType ?? '')}; send JSON with Content-Type: application/json, or CSV with a "text" column as text/csv`,
  );

const DECODERS: Record<string, () => zlib.Gunzip | zlib.Inflate> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
};

/**
 * The decoded body of a request with a Content-Encoding, or the payload as it is. The decoded
 * bytes count against the route's body limit (Fastify counts what this stream gives); decoding
 * stops once they pass it.
 */
function decodedPayload(request: FastifyRequest, payload: Readable): Readable {
  const header = request.headers['content-encoding'];
  if (header === undefined) return payload;
  const codings = header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return payload;
  const make = codings.length === 1 ? DECODERS[codings[0]] : undefined;
  if (!make) {
    throw new HttpError(
      415,
      `unsupported Content-Encoding ${JSON.stringify(header)}; send the body as it is, or gzip or deflate it (one encoding)`,
    );
  }
  const limit = request.routeOptions.bodyLimit ?? Infinity;
  const decoder = make();
  const out = new PassThrough() as PassThrough & { receivedEncodedLength: number };
  out.receivedEncodedLength = 0;
  let decoded = 0;
  payload.on('data', (chunk: Buffer) => {
    out.receivedEncodedLength += chunk.length;
  });
  decoder.on('data', (chunk: Buffer) => {
    decoded += chunk.length;
    if (decoded > limit) {
      // Fastify has answered 413 on this chunk; stop inflating.
      payload.unpipe(decoder);
      decoder.destroy();
    }
  });
  decoder.on('error', (err) => out.destroy(new HttpError(400, `the ${codings[0]} body cannot be decoded: ${err.message}`)));
  // Fastify reads `out` only when the route takes a body; the error then reaches it through its own listener.
  out.on('error', () => undefined);
  payload.pipe(decoder).pipe(out);
  return out;
}

/** Registers the parsers and hooks above; call before the routes are registered. */
export function useProtocolContentTypes(app: FastifyInstance): void {
  // Callback style: no promise per request on the prediction path.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    let decoded: Readable;
    try {
      decoded = decodedPayload(request, payload);
    } catch (err) {
      done(err as Error);
      return;
    }
    done(null, decoded);
  });

  // Fastify calls a parser with the body as a Buffer (parseAs: 'buffer').
  type Parse = (request: FastifyRequest, body: Buffer) => Promise<unknown>;
  const v2Only: Parse = async (request, body) => {
    if (!isV2(request.url)) throw unsupported(request.headers['content-type']);
    return v2Body(request.headers, body);
  };
  const csv: Parse = async (request, body) => (isV2(request.url) ? v2Body(request.headers, body) : csvBody(body.toString('utf8')));
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, v2Only);
  app.removeContentTypeParser('text/plain');
  // MLflow's scoring server answers text/plain with 415 too; /v2 reads any type as JSON.
  app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, v2Only);
  app.addContentTypeParser('text/csv', { parseAs: 'buffer' }, csv);
  // No Content-Type, or one no other parser takes.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, v2Only);

  app.addHook('onSend', (request, reply, payload, done) => {
    if (isV2(request.url)) {
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('application/json;')) void reply.header('content-type', 'application/json');
    }
    done(null, payload);
  });
}

export { BadBinaryBody };

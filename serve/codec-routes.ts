/**
 * The codec server (Temporal's remote codec protocol): POST /codec/encode and /codec/decode take
 * and return `{"payloads": [{"metadata": {k: base64}, "data": base64}]}` (Payload proto JSON),
 * so the Temporal Web UI and `temporal --codec-endpoint` show encrypted payloads decoded. On
 * only with NIGHTSHIFT_ENCRYPTION_KEY_FILE (the same codec as clients and workers).
 *
 * The UI calls it from the browser, cross-origin: preflights and answers carry CORS headers for
 * the allowed origins (NIGHTSHIFT_CODEC_CORS_ORIGINS, comma-separated; default the embedded Web
 * UI, http://127.0.0.1:NIGHTSHIFT_UI_PORT and http://localhost:NIGHTSHIFT_UI_PORT), allowing the
 * headers the UI sends (Content-Type, X-Namespace, Authorization) and credentials. With
 * NIGHTSHIFT_CODEC_TOKEN, both endpoints need `Authorization: Bearer <token>` (the CLI's
 * `--codec-auth`, or the UI's "pass access token"). Anyone who reaches /codec/decode can read
 * every payload, so off loopback it is served only with a token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Payload } from '@temporalio/common';
import { loadEncryptionCodec, type EncryptionCodec } from '../stack/payload-codec.ts';
import type { ServeContext } from './context.ts';
import { HttpError } from './http-errors.ts';
import { isLoopback } from './options.ts';

interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

interface CodecBody {
  payloads: JsonPayload[];
}

const bodySchema = {
  type: 'object',
  required: ['payloads'],
  properties: {
    payloads: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          metadata: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
          data: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export interface CodecSettings {
  codec: EncryptionCodec;
  origins: string[];
  token: string | null;
}

/** The codec server's settings from the environment, or null when payloads are not encrypted. */
export function codecSettings(env: NodeJS.ProcessEnv = process.env): CodecSettings | null {
  const codec = loadEncryptionCodec(env);
  if (!codec) return null;
  const uiPort = env.NIGHTSHIFT_UI_PORT || '8233';
  const origins = env.NIGHTSHIFT_CODEC_CORS_ORIGINS
    ? env.NIGHTSHIFT_CODEC_CORS_ORIGINS.split(',')
        .map((o) => o.trim().replace(/\/+$/, ''))
        .filter(Boolean)
    : [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`];
  return { codec, origins, token: env.NIGHTSHIFT_CODEC_TOKEN || null };
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

function tokenCheck(token: string): (request: FastifyRequest) => void {
  const expected = digest(token);
  return (request) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!m) throw new HttpError(401, 'the codec endpoint needs "Authorization: Bearer <token>" (the server\'s NIGHTSHIFT_CODEC_TOKEN)');
    if (!timingSafeEqual(digest(m[1]), expected)) throw new HttpError(401, 'the bearer token is not valid for this codec endpoint');
  };
}

export function codecRoutes(ctx: ServeContext, settings: CodecSettings | null = codecSettings()) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    if (!settings) return;
    if (!settings.token && !isLoopback(ctx.options.host)) {
      ctx.log(`model server: codec endpoint off: ${ctx.options.host} is not loopback and NIGHTSHIFT_CODEC_TOKEN is not set`);
      return;
    }
    const check = settings.token ? tokenCheck(settings.token) : null;
    const allowed = new Set(settings.origins);
    // Encapsulated in this plugin: only /codec answers carry CORS headers.
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const origin = request.headers.origin;
      if (origin && allowed.has(origin)) {
        void reply.header('access-control-allow-origin', origin);
        void reply.header('access-control-allow-credentials', 'true');
        void reply.header('vary', 'Origin');
      }
    });
    const preflight = async (request: FastifyRequest, reply: FastifyReply) => {
      if (!request.headers.origin || !allowed.has(request.headers.origin))
        throw new HttpError(403, `origin ${JSON.stringify(request.headers.origin ?? '')} is not allowed (NIGHTSHIFT_CODEC_CORS_ORIGINS)`);
      void reply
        .header('access-control-allow-methods', 'POST, OPTIONS')
        .header('access-control-allow-headers', 'content-type, x-namespace, authorization')
        .header('access-control-max-age', '600')
        .status(204)
        .send();
    };
    const handle = (kind: 'encode' | 'decode') => async (request: FastifyRequest<{ Body: CodecBody }>) => {
      check?.(request);
      const payloads = request.body.payloads.map(fromJson);
      try {
        const out = kind === 'encode' ? await settings.codec.encode(payloads) : await settings.codec.decode(payloads);
        return { payloads: out.map(toJson) };
      } catch (err) {
        throw new HttpError(400, `cannot ${kind}: ${(err as Error).message}`);
      }
    };
    for (const kind of ['encode', 'decode'] as const) {
      app.options(`/codec/${kind}`, preflight);
      app.post<{ Body: CodecBody }>(`/codec/${kind}`, { schema: { body: bodySchema } }, handle(kind));
    }
    ctx.log(
      `model server: codec endpoint at /codec (key ${settings.codec.encryptingKeyId} encrypts; CORS for ${settings.origins.join(', ')})`,
    );
  };
}

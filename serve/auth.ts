/**
 * Bearer-token check for the routes that need one. Compares SHA-256 digests with
 * timingSafeEqual, so neither the token's length nor its prefix leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.ts';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function bearerCheck(token: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const expected = digest(token);
  return async (request) => {
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) throw new HttpError(401, 'this endpoint needs "Authorization: Bearer <token>" (the server\'s NIGHTSHIFT_SERVE_TOKEN)');
    if (!timingSafeEqual(digest(m[1]), expected)) throw new HttpError(401, 'the bearer token is not valid for this server');
  };
}

/**
 * The JSON body parser: JSON.parse, then the same prototype-poisoning refusal as Fastify's default
 * (secure-json-parse with protoAction and constructorAction 'error'), checked on the parsed value
 * instead of by regular expressions over the body text. A 64-message batch is about 350 KB of
 * text and a handful of objects: walking the objects costs next to nothing, while the two regular
 * expressions scanned every byte (about 6 µs a text, as much as JSON.parse itself).
 */
import type { FastifyInstance } from 'fastify';

export class PoisonedJson extends SyntaxError {
  readonly statusCode = 400;
}

const own = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/**
 * Throws PoisonedJson when a parsed JSON value has an own `__proto__` key or a `constructor` object
 * with a `prototype` key anywhere (what secure-json-parse refuses), so nothing downstream that
 * merges or assigns the body can reach Object.prototype.
 */
export function refusePoisoning(value: unknown): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v: unknown = node[i];
        if (v !== null && typeof v === 'object') stack.push(v);
      }
      continue;
    }
    if (own(node, '__proto__')) throw new PoisonedJson('the body has a "__proto__" key, which is refused');
    const ctor = (node as Record<string, unknown>).constructor;
    if (own(node, 'constructor') && ctor !== null && typeof ctor === 'object' && own(ctor, 'prototype')) {
      throw new PoisonedJson('the body has a "constructor.prototype" key, which is refused');
    }
    for (const key in node) {
      const v = (node as Record<string, unknown>)[key];
      if (v !== null && typeof v === 'object') stack.push(v);
    }
  }
}

/** A JSON body: parsed, or a 400 (SyntaxError with statusCode 400) naming what is wrong. */
export function parseJsonBody(body: string): unknown {
  if (body.length === 0) throw Object.assign(new SyntaxError('the body is empty'), { statusCode: 400 });
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw Object.assign(err as SyntaxError, { statusCode: 400 });
  }
  refusePoisoning(value);
  return value;
}

/** Replaces Fastify's application/json parser with parseJsonBody (the body limit stays Fastify's). */
export function useJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    let value: unknown;
    try {
      value = parseJsonBody(body as string);
    } catch (err) {
      done(err as Error, undefined);
      return;
    }
    done(null, value);
  });
}

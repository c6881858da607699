export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string };

const FORBIDDEN_KEY = /"(?:__proto__|constructor|prototype)"\s*:/;

/**
 * JSON.parse with the error said plainly, refusing `__proto__` and `constructor.prototype` keys
 * (prototype poisoning, as Fastify's own parser does). The reviver that finds them runs only
 * when the text mentions one of those names, so ordinary bodies parse at full speed.
 */
export function parseJson(raw: Buffer): JsonParse {
  if (raw.length === 0) return { ok: false, message: 'request body is empty: expected JSON' };
  const text = raw.toString('utf8');
  try {
    if (!FORBIDDEN_KEY.test(text)) return { ok: true, value: JSON.parse(text) as unknown };
    return { ok: true, value: JSON.parse(text, refusePoisonedKeys) as unknown };
  } catch (error) {
    return { ok: false, message: `request body is not valid JSON: ${(error as Error).message}` };
  }
}

function refusePoisonedKeys(this: unknown, key: string, value: unknown): unknown {
  if (key === '__proto__') throw new SyntaxError('the key "__proto__" is not allowed');
  if (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype')) {
    throw new SyntaxError('the key "constructor.prototype" is not allowed');
  }
  return value;
}

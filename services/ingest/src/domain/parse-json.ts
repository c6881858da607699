import { SEGMENT_EVENT_LIMITS } from '@touchstream/contracts';

export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * The deepest request body read: an event's own limit plus the `{"batch": [...]}` around it.
 * Deeper bodies are refused before anything walks them recursively (canonical JSON, the
 * envelope's JSON.stringify, which overflow the stack a few thousand levels down).
 */
export const MAX_BODY_DEPTH = SEGMENT_EVENT_LIMITS.maxNestingDepth + 2;

/**
 * JSON.parse with the error said plainly, then one iterative pass over the parsed value that
 * refuses bodies nested deeper than MAX_BODY_DEPTH and `__proto__` / `constructor.prototype`
 * keys (prototype poisoning, as Fastify's own parser refuses). Keys are checked after parsing,
 * so an escaped spelling such as `"\u005f_proto__"` is caught too.
 */
export function parseJson(raw: Buffer): JsonParse {
  if (raw.length === 0) return { ok: false, message: 'request body is empty: expected JSON' };
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8')) as unknown;
  } catch (error) {
    return { ok: false, message: `request body is not valid JSON: ${(error as Error).message}` };
  }
  const problem = bodyProblem(value);
  return problem === undefined ? { ok: true, value } : { ok: false, message: `request body is not accepted: ${problem}` };
}

function bodyProblem(body: unknown): string | undefined {
  const stack: { value: object; depth: number }[] = [];
  if (typeof body === 'object' && body !== null) stack.push({ value: body, depth: 1 });
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: object; depth: number };
    if (depth > MAX_BODY_DEPTH) return `it is nested deeper than ${MAX_BODY_DEPTH} levels`;
    const items = Array.isArray(value) ? (value as unknown[]) : [];
    if (!Array.isArray(value)) {
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (key === '__proto__') return 'the key "__proto__" is not allowed';
        if (key === 'constructor' && typeof item === 'object' && item !== null && Object.hasOwn(item, 'prototype')) {
          return 'the key "constructor.prototype" is not allowed';
        }
        items.push(item);
      }
    }
    for (const item of items) {
      if (typeof item === 'object' && item !== null) stack.push({ value: item, depth: depth + 1 });
    }
  }
  return undefined;
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * How long a connection may hold a service without completing a request. Without these, a client
 * that sends headers and then a body that never completes held every service for 100 s or more
 * (Fastify turns Node's request timeout off, and Node checks it only every 30 s). Ingest answers
 * within Segment's 5 s webhook timeout once a body is in (INGEST_ACK_TIMEOUT_MS at most 4.5 s), so
 * these bounds only cut off senders that stall. docs/operations.md, "HTTP timeouts".
 */
export const HTTP_TIMEOUTS = {
  /** All request headers must arrive within this (Node's headersTimeout). */
  headersMs: 10_000,
  /** The whole request, body included, must arrive within this (Node's requestTimeout; answered 408). */
  requestMs: 30_000,
  /** A socket with no traffic at all for this long is closed (a stalled body, a silent client). */
  idleMs: 30_000,
  /** An idle keep-alive connection is kept this long between requests (above common 60 s load-balancer idle timeouts). */
  keepAliveMs: 72_000,
  /** How often Node enforces headersMs and requestMs (its default, 30 s, would let a stalled request live 60 s). */
  checkIntervalMs: 1_000,
} as const;

export type HttpTimeouts = { [K in keyof typeof HTTP_TIMEOUTS]: number };

/** Fastify server options for these timeouts. */
export function fastifyTimeoutOptions(timeouts: HttpTimeouts) {
  return {
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    requestTimeout: timeouts.requestMs,
    http: { headersTimeout: timeouts.headersMs, requestTimeout: timeouts.requestMs, connectionsCheckingInterval: timeouts.checkIntervalMs },
  };
}

/** A route pattern (`/identity/users/:userId`) as a regular expression over request paths. */
function patternOf(url: string): RegExp {
  const escaped = url
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}/?$`);
}

/**
 * Answers 405 with an `Allow` header, instead of Fastify's 404, when a path exists but not for
 * the request's method (RFC 9110 15.5.6). Must be called before the routes are registered (it
 * learns them as they are). OPTIONS requests are never answered 405. Catch-all routes (`*`, e.g. a CORS preflight handler) say nothing
 * about which paths exist, so they are left out.
 */
export function answerWrongMethodWith405(fastify: FastifyInstance): void {
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  fastify.addHook('onRoute', (route) => {
    if (route.url === '*' || route.url === '/*') return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    routes.push({ pattern: patternOf(route.url), methods: methods.map(String) });
  });
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    // OPTIONS is left to whoever answers preflights (ingest's CORS hook), or to the 404.
    if (!request.is404 || request.method === 'OPTIONS' || reply.sent) return done();
    const path = request.url.split('?')[0] ?? '';
    const allowed = new Set<string>();
    for (const route of routes) if (route.pattern.test(path)) for (const method of route.methods) allowed.add(method);
    if (allowed.size === 0 || allowed.has(request.method)) return done();
    const allow = [...allowed].sort().join(', ');
    void reply
      .status(405)
      .header('allow', allow)
      .send({ statusCode: 405, error: 'Method Not Allowed', message: `${request.method} is not allowed on ${path}: use ${allow}` });
  });
}

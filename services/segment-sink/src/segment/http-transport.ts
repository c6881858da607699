import { EnvHttpProxyAgent, Pool, type Dispatcher } from 'undici';
import { NO_TRACING, type Tracing } from '@touchstream/platform';
import type { EgressProxySettings } from './egress-proxy';
import type { RequestSummary, SegmentTransport, TransportResult } from './segment-transport';

export interface HttpTransportOptions {
  /** SEGMENT_API_HOST, normalised: origin plus an optional path prefix (a proxy). */
  apiHost: string;
  writeKey: string;
  /** Keep-alive connections: as many as requests in flight. */
  connections: number;
  /** Whole request, connect to last body byte. */
  timeoutMs: number;
  userAgent: string;
  /** HTTPS_PROXY / HTTP_PROXY / NO_PROXY: requests to Segment go through the proxy unless NO_PROXY names its host. */
  egressProxy?: EgressProxySettings;
  /** A CLIENT span per request, whose context is the traceparent sent (NO_TRACING: the event's own is sent). */
  tracing?: Tracing;
}

/** Error codes that mean the request timed out rather than the connection failing. */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/**
 * POST /v1/batch over an undici Pool (keep-alive, one connection per request in flight). Basic
 * auth with the write key as user name and an empty password. Never throws: every outcome is a
 * TransportResult for the retry policy to judge. undici never retries a POST by itself.
 */
export class HttpSegmentTransport implements SegmentTransport {
  readonly description: string;
  private readonly dispatcher: Dispatcher;
  private readonly origin: string;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private readonly url: URL;
  private readonly tracing: Tracing;

  constructor(private readonly options: HttpTransportOptions) {
    const url = new URL(options.apiHost);
    this.origin = url.origin;
    this.path = `${url.pathname.replace(/\/+$/, '')}/v1/batch`;
    this.url = new URL(this.path, url.origin);
    this.tracing = options.tracing ?? NO_TRACING;
    const connection = {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connectTimeout: Math.min(options.timeoutMs, 10_000),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    };
    // Without proxy variables, one Pool to Segment's origin, as always; with them, undici's agent
    // that tunnels (CONNECT) through the proxy unless NO_PROXY names the host.
    const proxy = options.egressProxy;
    this.dispatcher =
      proxy === undefined ? new Pool(url.origin, connection) : new EnvHttpProxyAgent({ ...connection, ...proxy, proxyTunnel: true });
    const via =
      proxy === undefined ? '' : ` (proxy: ${redactProxy((url.protocol === 'https:' ? proxy.httpsProxy : proxy.httpProxy) ?? 'none')})`;
    this.description = `${url.origin}${this.path}${via}`;
    this.headers = {
      authorization: `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`,
      'content-type': 'application/json',
      'user-agent': options.userAgent,
    };
  }

  async post(body: Buffer, summary?: RequestSummary): Promise<TransportResult> {
    const span = this.tracing.clientRequest({ method: 'POST', url: this.url, parent: summary?.traceparent, links: summary?.links });
    try {
      const traceparent = span.traceparent;
      const response = await this.dispatcher.request({
        origin: this.origin,
        path: this.path,
        method: 'POST',
        headers: traceparent === undefined ? this.headers : { ...this.headers, traceparent },
        // A Buffer: Content-Length is its length in bytes (not a string's length).
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const text = await response.body.text();
      span.end({ statusCode: response.statusCode });
      return {
        kind: 'answer',
        status: response.statusCode,
        retryAfter: headerOf(response.headers['retry-after']),
        rateLimitReset: headerOf(response.headers['x-ratelimit-reset']),
        body: text,
      };
    } catch (error) {
      const failure = failureOf(error);
      span.end({ errorType: failure.failure, message: failure.message });
      return failure;
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** A proxy URL for a log line, without the credentials it may carry. */
function redactProxy(value: string): string {
  try {
    const url = new URL(value);
    return url.origin;
  } catch {
    return 'an invalid URL';
  }
}

function headerOf(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

function failureOf(error: unknown): Extract<TransportResult, { kind: 'failure' }> {
  const { name, code, message } = error as { name?: string; code?: string; message?: string };
  const timedOut = name === 'TimeoutError' || (code !== undefined && TIMEOUT_CODES.has(code));
  return {
    kind: 'failure',
    failure: timedOut ? 'timeout' : 'connection',
    message: `${code ?? name ?? 'Error'}: ${message ?? String(error)}`,
  };
}

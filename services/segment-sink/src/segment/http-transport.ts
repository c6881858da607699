import { EnvHttpProxyAgent, Pool, type Dispatcher } from 'undici';
import type { EgressProxySettings } from './egress-proxy';
import type { SegmentTransport, TransportResult } from './segment-transport';

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

  constructor(private readonly options: HttpTransportOptions) {
    const url = new URL(options.apiHost);
    this.origin = url.origin;
    this.path = `${url.pathname.replace(/\/+$/, '')}/v1/batch`;
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
      proxy === undefined
        ? new Pool(url.origin, connection)
        : new EnvHttpProxyAgent({ ...connection, ...proxy, proxyTunnel: true });
    const via = proxy === undefined ? '' : ` (proxy: ${redactProxy((url.protocol === 'https:' ? proxy.httpsProxy : proxy.httpProxy) ?? 'none')})`;
    this.description = `${url.origin}${this.path}${via}`;
    this.headers = {
      authorization: `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`,
      'content-type': 'application/json',
      'user-agent': options.userAgent,
    };
  }

  async post(body: Buffer, summary?: { events: number; bytes: number; traceparent?: string | undefined }): Promise<TransportResult> {
    try {
      const traceparent = summary?.traceparent;
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
      return {
        kind: 'answer',
        status: response.statusCode,
        retryAfter: headerOf(response.headers['retry-after']),
        rateLimitReset: headerOf(response.headers['x-ratelimit-reset']),
        body: text,
      };
    } catch (error) {
      return failureOf(error);
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

function failureOf(error: unknown): TransportResult {
  const { name, code, message } = error as { name?: string; code?: string; message?: string };
  const timedOut = name === 'TimeoutError' || (code !== undefined && TIMEOUT_CODES.has(code));
  return {
    kind: 'failure',
    failure: timedOut ? 'timeout' : 'connection',
    message: `${code ?? name ?? 'Error'}: ${message ?? String(error)}`,
  };
}

import type { AroundBatch } from '@touchstream/kafka';

/** An incoming HTTP request's span, ended once the answer is sent. */
export interface ServerRequestSpan {
  /** Messages the request published (their traceparent headers join the span to their traces). */
  readonly published: (messages: readonly { headers?: Record<string, string> }[]) => void;
  end(statusCode: number): void;
}

/** An outgoing HTTP request's span. */
export interface ClientRequestSpan {
  /** The traceparent header to send: the span's own context, or the parent's as it came when tracing is off. */
  readonly traceparent: string | undefined;
  end(outcome: { statusCode: number } | { errorType: string; message: string }): void;
}

export interface ServerRequest {
  method: string;
  /** The route template (`/v1/webhook`), the span's name with the method. */
  route: string;
  /** The path requested, without its query. */
  path: string;
  scheme: 'http' | 'https';
  /** The request's own traceparent header, when the caller sent one. */
  traceparent?: string | undefined;
}

export interface ClientRequest {
  method: string;
  url: URL;
  /** The context the request continues (a delivered message's traceparent header). */
  parent: string | undefined;
  /** Further contexts the request carries (the other messages of a batch); read only when tracing is on. */
  links?: () => readonly (string | undefined)[];
  attributes?: Record<string, string | number>;
}

/**
 * Spans of one service (docs/operations.md, "Tracing"). NO_TRACING when OTEL_EXPORTER_OTLP_ENDPOINT
 * is not set: nothing is recorded and the call sites pay one call that does nothing.
 */
export interface Tracing {
  readonly enabled: boolean;
  /** A span per consumer handler call (KafkaRuntime.wrapBatches); undefined when tracing is off. */
  readonly aroundBatch: AroundBatch | undefined;
  serverRequest(request: ServerRequest): ServerRequestSpan;
  clientRequest(request: ClientRequest): ClientRequestSpan;
  /** Exports what is still queued and stops (graceful shutdown). */
  shutdown(): Promise<void>;
}

/** The Nest token of the service's Tracing (PlatformModule provides it). */
export const TRACING = 'touchstream.tracing';

const NO_SERVER_SPAN: ServerRequestSpan = { published: () => undefined, end: () => undefined };

export const NO_TRACING: Tracing = {
  enabled: false,
  aroundBatch: undefined,
  serverRequest: () => NO_SERVER_SPAN,
  clientRequest: (request) => ({ traceparent: request.parent, end: () => undefined }),
  shutdown: () => Promise.resolve(),
};

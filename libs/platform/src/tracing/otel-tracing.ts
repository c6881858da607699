import {
  diag,
  DiagLogLevel,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Link,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, RandomIdGenerator, TracerProvider, type IdGenerator, type SpanProcessor } from '@opentelemetry/sdk-trace';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import { formatTraceparent, parseTraceparent } from '@touchstream/contracts';
import type { HandledBatch } from '@touchstream/kafka';
import type { Logger } from '@touchstream/logging';
import type { ClientRequest, ClientRequestSpan, ServerRequest, ServerRequestSpan, Tracing } from './tracing';
import type { TracingSettings } from './tracing-config';

/*
 * Messaging attributes are still "development" in the semantic conventions, so their constants
 * live only in the package's unstable entry point; the names are copied here as it advises.
 */
const ATTR_MESSAGING_SYSTEM = 'messaging.system';
const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
const ATTR_MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
const ATTR_MESSAGING_KAFKA_OFFSET = 'messaging.kafka.offset';

/** Longest a graceful shutdown waits for the last spans to be exported. */
const SHUTDOWN_FLUSH_MS = 3_000;

/** Links a span keeps (the SDK's default limit): a batch of thousands links to its first 128. */
const MAX_LINKS = 128;

function spanContextOf(traceparent: string | undefined): SpanContext | undefined {
  const fields = parseTraceparent(traceparent);
  return fields && { traceId: fields.traceId, spanId: fields.spanId, traceFlags: fields.sampled ? 1 : 0, isRemote: true };
}

function linksOf(traceparents: readonly (string | undefined)[], skip?: SpanContext): Link[] {
  const links: Link[] = [];
  for (const traceparent of traceparents) {
    if (links.length >= MAX_LINKS) break;
    const context = spanContextOf(traceparent);
    if (context && !(skip && context.spanId === skip.spanId && context.traceId === skip.traceId)) links.push({ context });
  }
  return links;
}

const parentContext = (parent: SpanContext | undefined) => (parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT);

/**
 * Random ids, except for the one span started inside `withIds`: ingest's request span takes the
 * context its first event's Kafka headers already carry (traceparentOf), so the downstream spans,
 * whose parent is that header, hang under a span that was exported.
 */
class PinnableIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  private pinned: { traceId: string; spanId: string } | null = null;

  generateTraceId(): string {
    return this.pinned?.traceId ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.pinned?.spanId ?? this.random.generateSpanId();
  }

  /** startSpan asks for the ids synchronously, so the pin holds for exactly that span. */
  withIds<T>(ids: { traceId: string; spanId: string }, start: () => T): T {
    this.pinned = ids;
    try {
      return start();
    } finally {
      this.pinned = null;
    }
  }
}

const errorType = (error: unknown) => (error instanceof Error ? error.name : typeof error);
const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The OpenTelemetry SDK for one service: its own TracerProvider (never the global one, so that
 * several services in one process, as tests and benchmarks run them, keep their service.name),
 * spans batched and POSTed as OTLP/HTTP JSON. Parents are passed explicitly (the Kafka and HTTP
 * headers), so no context manager is needed.
 */
export class OtelTracing implements Tracing {
  readonly enabled = true;
  readonly aroundBatch = (batch: HandledBatch, apply: () => Promise<void>) => this.processBatch(batch, apply);
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;
  private readonly ids = new PinnableIdGenerator();

  /** `processor`: where ended spans go; by default batched to the OTLP/HTTP exporter (tests pass an in-memory one). */
  constructor(
    settings: TracingSettings,
    private readonly logger: Logger,
    processor?: SpanProcessor,
  ) {
    // The SDK reports export failures through its diagnostic logger: into the service's log.
    diag.setLogger(
      {
        error: (message) => logger.warn(`opentelemetry: ${message}`),
        warn: (message) => logger.warn(`opentelemetry: ${message}`),
        info: () => undefined,
        debug: () => undefined,
        verbose: () => undefined,
      },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }),
      idGenerator: this.ids,
      spanProcessors: [
        processor ?? new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: settings.tracesUrl, headers: settings.headers }) }),
      ],
    });
    this.tracer = this.provider.getTracer('touchstream');
  }

  /** A CONSUMER span per handler call: child of its first message's context, linked to the others'. */
  private async processBatch(batch: HandledBatch, apply: () => Promise<void>): Promise<void> {
    const parent = spanContextOf(batch.messages[0]?.headers.traceparent);
    const single = batch.messages.length === 1;
    const attributes: Attributes = {
      [ATTR_MESSAGING_SYSTEM]: 'kafka',
      [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
      [ATTR_MESSAGING_OPERATION_NAME]: 'process',
      [ATTR_MESSAGING_DESTINATION_NAME]: batch.topic,
      [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(batch.partition),
      [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: batch.groupId,
      ...(single
        ? { [ATTR_MESSAGING_KAFKA_OFFSET]: Number(batch.messages[0]?.offset) }
        : { [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: batch.messages.length }),
    };
    const links = single
      ? []
      : linksOf(
          batch.messages.slice(0, MAX_LINKS + 1).map((message) => message.headers.traceparent),
          parent,
        );
    const span = this.tracer.startSpan(`process ${batch.topic}`, { kind: SpanKind.CONSUMER, attributes, links }, parentContext(parent));
    try {
      await apply();
    } catch (error) {
      span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
      throw error;
    } finally {
      span.end();
    }
  }

  /**
   * A SERVER span, started once the answer is known (with the request's start time) because its
   * ids may be its first published event's: a request that carried a traceparent is its child
   * instead, and links to the events.
   */
  serverRequest(request: ServerRequest): ServerRequestSpan {
    const startTime = performance.timeOrigin + performance.now();
    const published: string[] = [];
    return {
      published: (messages) => {
        for (const message of messages) {
          if (published.length >= MAX_LINKS) return;
          const traceparent = message.headers?.traceparent;
          if (traceparent !== undefined) published.push(traceparent);
        }
      },
      end: (statusCode) => {
        const caller = spanContextOf(request.traceparent);
        const own = caller ? undefined : parseTraceparent(published[0]);
        const attributes: Attributes = {
          [ATTR_HTTP_REQUEST_METHOD]: request.method,
          [ATTR_HTTP_ROUTE]: request.route,
          [ATTR_URL_PATH]: request.path,
          [ATTR_URL_SCHEME]: request.scheme,
          [ATTR_HTTP_RESPONSE_STATUS_CODE]: statusCode,
          'touchstream.events.published': published.length,
        };
        const options = { kind: SpanKind.SERVER, startTime, attributes, links: linksOf(own ? published.slice(1) : published) };
        const name = `${request.method} ${request.route}`;
        const span = own
          ? this.ids.withIds(own, () => this.tracer.startSpan(name, options, ROOT_CONTEXT))
          : this.tracer.startSpan(name, options, parentContext(caller));
        // Server spans: a 5xx is the server's failure, a 4xx the client's (semantic conventions).
        if (statusCode >= 500) {
          span.setAttribute(ATTR_ERROR_TYPE, String(statusCode));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      },
    };
  }

  /** A CLIENT span, child of the context the request continues; its own context is the traceparent sent. */
  clientRequest(request: ClientRequest): ClientRequestSpan {
    const parent = spanContextOf(request.parent);
    const port = request.url.port === '' ? (request.url.protocol === 'https:' ? 443 : 80) : Number(request.url.port);
    const span = this.tracer.startSpan(
      request.method,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: request.method,
          [ATTR_URL_FULL]: `${request.url.origin}${request.url.pathname}`,
          [ATTR_SERVER_ADDRESS]: request.url.hostname,
          [ATTR_SERVER_PORT]: port,
          ...request.attributes,
        },
        links: request.links ? linksOf(request.links(), parent) : [],
      },
      parentContext(parent),
    );
    const context = span.spanContext();
    return {
      traceparent: formatTraceparent({ traceId: context.traceId, spanId: context.spanId, sampled: (context.traceFlags & 1) === 1 }),
      end: (outcome) => {
        if ('statusCode' in outcome) {
          span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, outcome.statusCode);
          // Client spans: any 4xx or 5xx answer is a failure of the call.
          if (outcome.statusCode >= 400) {
            span.setAttribute(ATTR_ERROR_TYPE, String(outcome.statusCode));
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
        } else {
          span.setAttribute(ATTR_ERROR_TYPE, outcome.errorType);
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message });
        }
        span.end();
      },
    };
  }

  /**
   * Exports what is queued, waiting at most `timeoutMs`: a collector that does not answer would
   * otherwise hold the shutdown for the exporter's own timeout and retries (10 s and more).
   */
  async shutdown(timeoutMs = SHUTDOWN_FLUSH_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    const outcome = await Promise.race([this.provider.shutdown().then(() => 'flushed' as const), gaveUp]);
    clearTimeout(timer);
    if (outcome === 'timeout')
      this.logger.warn('opentelemetry: spans not exported at shutdown: the collector did not answer in time', { timeoutMs });
  }
}

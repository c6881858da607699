import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { formatTraceparent, parseTraceparent, traceparentOf } from '@touchstream/contracts';
import type { HandledBatch } from '@touchstream/kafka';
import { Logger } from '@touchstream/logging';
import { OtelTracing } from './otel-tracing';
import { NO_TRACING } from './tracing';

const SETTINGS = { serviceName: 'attribution', tracesUrl: 'http://127.0.0.1:1/v1/traces', headers: {} };

function tracing(): { tracing: OtelTracing; spans: () => ReadableSpan[] } {
  const memory = new InMemorySpanExporter();
  const logger = new Logger({ service: 'test', level: 'error', sink: { write: () => true } });
  return {
    tracing: new OtelTracing(SETTINGS, logger, new SimpleSpanProcessor({ exporter: memory })),
    spans: () => memory.getFinishedSpans(),
  };
}

const contextOf = (span: ReadableSpan | undefined) => {
  const context = span?.spanContext();
  return context && { traceId: context.traceId, spanId: context.spanId };
};
const fieldsOf = (traceparent: string) => {
  const fields = parseTraceparent(traceparent);
  return fields && { traceId: fields.traceId, spanId: fields.spanId };
};

describe('OtelTracing', () => {
  const first = traceparentOf('message-1', 'event-1');
  const second = traceparentOf('message-2', 'event-2');
  const batch: HandledBatch = {
    groupId: 'attribution',
    topic: 'p.segment.events.raw.v1',
    partition: 2,
    messages: [
      { offset: '10', headers: { traceparent: first } },
      { offset: '11', headers: { traceparent: second } },
      { offset: '12', headers: {} },
    ],
  };

  it('makes a consumer span per batch: child of its first message, linked to the others, with messaging attributes', async () => {
    const { tracing: subject, spans } = tracing();
    await subject.aroundBatch(batch, () => Promise.resolve());
    const [span, ...others] = spans();
    expect(others).toEqual([]);
    expect(span?.name).toBe('process p.segment.events.raw.v1');
    expect(span?.kind).toBe(SpanKind.CONSUMER);
    expect(span?.spanContext().traceId).toBe(fieldsOf(first)?.traceId);
    expect(span?.parentSpanContext?.spanId).toBe(fieldsOf(first)?.spanId);
    expect(span?.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId }))).toEqual([fieldsOf(second)]);
    expect(span?.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': 'p.segment.events.raw.v1',
      'messaging.destination.partition.id': '2',
      'messaging.consumer.group.name': 'attribution',
      'messaging.batch.message_count': 3,
    });
    expect(span?.resource.attributes['service.name']).toBe('attribution');
  });

  it('marks a failed batch as an error and passes the failure on', async () => {
    const { tracing: subject, spans } = tracing();
    const failure = new TypeError('no such column');
    await expect(subject.aroundBatch({ ...batch, messages: batch.messages.slice(0, 1) }, () => Promise.reject(failure))).rejects.toBe(
      failure,
    );
    const [span] = spans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no such column' });
    expect(span?.attributes).toMatchObject({ 'error.type': 'TypeError', 'messaging.kafka.offset': 10 });
  });

  it("gives an ingest request's span the context its first event carries, and links the other events", () => {
    const { tracing: subject, spans } = tracing();
    const request = subject.serverRequest({ method: 'POST', route: '/v1/batch', path: '/v1/batch', scheme: 'http' });
    request.published([{ headers: { traceparent: first } }, { headers: { traceparent: second } }]);
    request.end(200);
    const [span] = spans();
    expect(span?.kind).toBe(SpanKind.SERVER);
    expect(span?.name).toBe('POST /v1/batch');
    expect(contextOf(span)).toEqual(fieldsOf(first));
    expect(span?.parentSpanContext).toBeUndefined();
    expect(span?.links.map((link) => link.context.spanId)).toEqual([fieldsOf(second)?.spanId]);
    expect(span?.attributes).toEqual({
      'http.request.method': 'POST',
      'http.route': '/v1/batch',
      'url.path': '/v1/batch',
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'touchstream.events.published': 2,
    });
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("makes a request that sent a traceparent the span's parent, links every event, and a 5xx an error", () => {
    const { tracing: subject, spans } = tracing();
    const caller = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const request = subject.serverRequest({
      method: 'POST',
      route: '/v1/webhook',
      path: '/v1/webhook',
      scheme: 'https',
      traceparent: caller,
    });
    request.published([{ headers: { traceparent: first } }]);
    request.end(503);
    const [span] = spans();
    expect(span?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span?.links.map((link) => link.context.spanId)).toEqual([fieldsOf(first)?.spanId]);
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('503');
  });

  it("sends a client span's own context as traceparent, child of the delivered event's; a failure is an error", () => {
    const { tracing: subject, spans } = tracing();
    const call = subject.clientRequest({
      method: 'POST',
      url: new URL('https://api.segment.io/v1/batch'),
      parent: first,
      links: () => [first, second],
    });
    call.end({ errorType: 'timeout', message: 'UND_ERR_HEADERS_TIMEOUT: Headers Timeout Error' });
    const [span] = spans();
    expect(call.traceparent).toBe(formatTraceparent({ ...(contextOf(span) as { traceId: string; spanId: string }), sampled: true }));
    expect(span?.spanContext().traceId).toBe(fieldsOf(first)?.traceId);
    expect(span?.parentSpanContext?.spanId).toBe(fieldsOf(first)?.spanId);
    expect(span?.links.map((link) => link.context.spanId)).toEqual([fieldsOf(second)?.spanId]);
    expect(span?.attributes).toEqual({
      'http.request.method': 'POST',
      'url.full': 'https://api.segment.io/v1/batch',
      'server.address': 'api.segment.io',
      'server.port': 443,
      'error.type': 'timeout',
    });
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('OtelTracing shutdown', () => {
  it('gives up on the last spans, saying so, when the exporter does not finish in time', async () => {
    const lines: string[] = [];
    const logger = new Logger({ service: 'test', level: 'warn', sink: { write: (line: string) => lines.push(line) > 0 } });
    const hanging = {
      onStart: () => undefined,
      onEnd: () => undefined,
      forceFlush: () => Promise.resolve(),
      shutdown: () => new Promise<void>(() => undefined),
    };
    await new OtelTracing(SETTINGS, logger, hanging).shutdown(50);
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
      'opentelemetry: spans not exported at shutdown: the collector did not answer in time',
    ]);
  });
});

describe('NO_TRACING', () => {
  it("records nothing and sends the delivered event's traceparent as it came", () => {
    const parent = traceparentOf('message-1', 'event-1');
    expect(NO_TRACING.clientRequest({ method: 'POST', url: new URL('https://api.segment.io/v1/batch'), parent }).traceparent).toBe(parent);
    expect(NO_TRACING.aroundBatch).toBeUndefined();
    expect(NO_TRACING.enabled).toBe(false);
  });
});

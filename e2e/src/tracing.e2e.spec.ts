import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTraceparent, TOPICS, TRACEPARENT_HEADER } from '@touchstream/contracts';
import { waitFor } from '@touchstream/testing';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver';
import { Pipeline } from './pipeline';

const SERVER = 2;
const CLIENT = 3;
const CONSUMER = 5;

describe('OpenTelemetry: with OTEL_EXPORTER_OTLP_ENDPOINT set, every service exports its spans of one visit in one trace', () => {
  let otlp: OtlpReceiver;
  let pipeline: Pipeline;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    pipeline = new Pipeline('otel', {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-tenant=e2e%20tests',
    });
    await pipeline.start();
  }, 240_000);

  afterAll(async () => {
    await pipeline?.stop();
    await otlp?.close();
  });

  it(
    'links the ingest request, the identity, attribution and sink batches and the Segment call; the call sends its own span as traceparent',
    { timeout: 180_000 },
    async () => {
      const response = await fetch(`${pipeline.url('ingest')}/v1/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'page',
          messageId: 'otel-m-1',
          anonymousId: 'otel-anon-1',
          timestamp: '2026-03-02T10:00:00.000Z',
          properties: { url: 'https://shop.example/?utm_source=partner&utm_medium=affiliate', referrer: '' },
        }),
      });
      expect(response.status).toBe(200);
      const request = await waitFor(
        () =>
          pipeline.receiver
            .requests()
            .find((candidate) => candidate.events.some((event) => event.type === 'track' && event.anonymousId === 'otel-anon-1')),
        { timeoutMs: 90_000, description: "otel-anon-1's track at the Segment receiver" },
      );
      const sent = parseTraceparent(request.headers[TRACEPARENT_HEADER]);
      expect(sent, 'the Segment call carries a traceparent').toBeDefined();
      const traceId = sent?.traceId ?? '';

      // SIGTERM: each service exports what its span processor still holds before it exits.
      await pipeline.stopServices('SIGTERM');
      const spans = otlp.spans().filter((span) => span.traceId === traceId);
      const find = (service: string, kind: number, match: (span: ReceivedSpan) => boolean = () => true) =>
        spans.filter((span) => span.service === service && span.kind === kind && match(span));

      const [ingest, ...moreIngest] = find('ingest', SERVER);
      expect(moreIngest).toEqual([]);
      expect(ingest).toMatchObject({
        name: 'POST /v1/webhook',
        parentSpanId: '',
        attributes: {
          'http.request.method': 'POST',
          'http.route': '/v1/webhook',
          'url.path': '/v1/webhook',
          'url.scheme': 'http',
          'http.response.status_code': 200,
        },
      });

      // The raw event's Kafka header carries the ingest span's context: both consumers of the raw topic are its children.
      const rawTopic = `${pipeline.namespace.topicPrefix}.${TOPICS.rawEvents.name}`;
      for (const service of ['identity', 'attribution'] as const) {
        const batches = find(service, CONSUMER, (span) => span.attributes['messaging.destination.name'] === rawTopic);
        expect(batches.length, `${service} exported a span for the raw event's batch`).toBeGreaterThan(0);
        expect(batches[0]).toMatchObject({
          name: `process ${rawTopic}`,
          parentSpanId: ingest?.spanId,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'messaging.consumer.group.name': pipeline.consumerGroup(service),
          },
        });
      }

      const sinkBatches = find('segment-sink', CONSUMER);
      expect(sinkBatches.length, 'segment-sink exported a span for the touch it consumed').toBeGreaterThan(0);
      // The visit may cause more than one call (a track, and an identify of the anonymous visitor's traits).
      const calls = find('segment-sink', CLIENT);
      expect(calls.length).toBe(
        pipeline.receiver.requests().filter((candidate) => parseTraceparent(candidate.headers[TRACEPARENT_HEADER])?.traceId === traceId)
          .length,
      );
      // The traceparent the Segment receiver saw is the exported call span's own context ...
      const call = calls.find((span) => span.spanId === sent?.spanId);
      expect(call).toMatchObject({
        name: 'POST',
        traceId: sent?.traceId,
        spanId: sent?.spanId,
        attributes: {
          'http.request.method': 'POST',
          'url.full': `${pipeline.receiver.url}/v1/batch`,
          'server.address': '127.0.0.1',
          'http.response.status_code': 200,
        },
      });
      // ... and the call continues the context of the message the sink consumed (a fact's header).
      expect(call?.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
      expect(sinkBatches.map((span) => span.parentSpanId)).toContain(call?.parentSpanId);

      expect(new Set(spans.map((span) => span.service))).toEqual(new Set(['ingest', 'identity', 'attribution', 'segment-sink']));
      const exports = otlp.requests();
      expect(exports.length).toBeGreaterThan(0);
      for (const exported of exports) {
        expect(exported).toMatchObject({ path: '/v1/traces', contentType: 'application/json' });
        expect(exported.headers['x-collector-tenant']).toBe('e2e tests');
      }
    },
  );
});

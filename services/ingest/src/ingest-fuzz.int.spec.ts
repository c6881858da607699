import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testInfrastructure, testNamespace } from '@touchstream/testing';
import { basicAuth, sign, startIngest, type RunningIngest } from './testing/harness';

const WRITE_KEY = 'fuzz-write-key-1';
const SECRET = 'fuzz-shared-secret';
/** At least 10,000 requests in the full suite; CI (CI=true) runs fewer. Sent CONCURRENT at a time (coalesced produce requests, as in production). */
const RUNS = process.env.CI === 'true' ? 1_500 : 10_000;
const CONCURRENT = 10;

const ROUTES = [
  '/v1/webhook',
  '/v1/batch',
  '/v1/track',
  '/v1/page',
  '/v1/identify',
  '/v1/screen',
  '/v1/group',
  '/v1/alias',
  '/v1/b',
  '/v1/t',
  '/v1/p',
] as const;
const TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'];

/** Strings a client may send: any UTF-16 (lone surrogates included), NUL, huge, and near-misses of the keys we refuse. */
const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 10 }).map((text) => `${text}\u0000${text}`),
  fc.constantFrom('\ud800', 'a\udfffb', '\u0000', '😀', '__proto__', 'constructor', 'prototype', ''),
  fc.integer({ min: 200, max: 12_000 }).map((length) => 'x'.repeat(length)),
);

/** Dates at and past the ends of what JavaScript, Postgres and the pipeline can hold, and things that are no date. */
const timestamp = fc.oneof(
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.constantFrom(
    '0000-01-01T00:00:00.000Z',
    '-000001-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
    '+010000-01-01T00:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00.000Z',
    '1970-01-01T00:00:00.000Z',
    '2026-03-01T10:00:00.000Z',
    'yesterday',
    '1',
  ),
  fc.double(),
  nasty,
);

const extremeNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1e308, -0, 2 ** 53 + 1),
  fc.bigInt().map((value) => Number(value)),
);
const id = fc.oneof(nasty, extremeNumber, fc.constant(null), fc.jsonValue({ maxDepth: 2 }));

/** Segment-shaped events with every field sometimes wrong. */
const event = fc.record(
  {
    type: fc.oneof(fc.constantFrom(...TYPES), fc.jsonValue({ maxDepth: 1 })),
    messageId: fc.oneof(fc.uuid(), nasty, extremeNumber),
    anonymousId: id,
    userId: id,
    previousId: id,
    groupId: id,
    event: fc.oneof(fc.constantFrom('Signed Up', ''), nasty),
    timestamp,
    originalTimestamp: timestamp,
    sentAt: timestamp,
    receivedAt: timestamp,
    properties: fc.oneof(
      fc.dictionary(nasty, fc.oneof(nasty, extremeNumber, fc.jsonValue({ maxDepth: 3 })), { maxKeys: 5 }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    context: fc.oneof(fc.record({ page: fc.record({ url: nasty, referrer: nasty }, { requiredKeys: [] }) }), fc.jsonValue({ maxDepth: 2 })),
    traits: fc.jsonValue({ maxDepth: 3 }),
  },
  { requiredKeys: [] },
);

/** `levels` nested arrays or objects, the kind of body that overflowed the stack. */
const deep = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean())
  .map(([levels, objects]) =>
    objects
      ? `{"type":"page","anonymousId":"a","properties":${'{"p":'.repeat(levels)}1${'}'.repeat(levels)}}`
      : `{"batch":[${'['.repeat(levels)}${']'.repeat(levels)}]}`,
  );

/** Prototype keys, spelled plainly and with JSON escapes. */
const poisoned = fc
  .constantFrom('"__proto__"', '"\\u005f_proto__"', '"\\u005F\\u005Fproto\\u005F\\u005F"', '"constructor"')
  .map((key) => `{"type":"track","event":"x","anonymousId":"a","properties":{${key}:{"prototype":{"admin":true}}}}`);

const body = fc.oneof(
  { weight: 4, arbitrary: event.map((value) => JSON.stringify(value)) },
  { weight: 3, arbitrary: fc.array(event, { maxLength: 6 }).map((batch) => JSON.stringify({ batch, sentAt: '2026-03-01T10:00:01.000Z' })) },
  { weight: 2, arbitrary: fc.array(event, { maxLength: 4 }).map((batch) => JSON.stringify(batch)) },
  { weight: 2, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: poisoned },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
);

const request = fc.record({
  route: fc.constantFrom(...ROUTES),
  method: fc.constantFrom('POST', 'POST', 'POST', 'PUT', 'GET', 'DELETE'),
  credentials: fc.constantFrom('good', 'good', 'none', 'garbage'),
  contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
  body,
});
type FuzzRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;

describe('ingest under property-based fuzzing, on the real broker', () => {
  const namespace = testNamespace('ingest-fuzz');
  let ingest: RunningIngest;

  beforeAll(async () => {
    ingest = await startIngest({
      KAFKA_BROKERS: testInfrastructure().kafkaBrokers,
      KAFKA_TOPIC_PREFIX: namespace.topicPrefix,
      INGEST_WRITE_KEYS: WRITE_KEY,
      SEGMENT_SHARED_SECRET: SECRET,
    });
  });

  afterAll(async () => {
    await ingest?.close();
  });

  function headersFor(input: FuzzRequest): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': input.contentType };
    const text = typeof input.body === 'string' ? input.body : input.body.toString('latin1');
    if (input.credentials === 'good') {
      headers.authorization = basicAuth(WRITE_KEY);
      headers['x-signature'] = typeof input.body === 'string' ? sign(SECRET, input.body) : sign(SECRET, text);
    } else if (input.credentials === 'garbage') {
      headers.authorization = 'bearer \u00ff';
      headers['x-signature'] = 'not-hex';
    }
    return headers;
  }

  it(`answers ${RUNS} generated requests with 2xx or 4xx, never 5xx, and stays up`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: CONCURRENT, maxLength: CONCURRENT }), async (inputs) => {
        const answers = await Promise.all(
          inputs.map(async (input) => {
            const response = await fetch(`${ingest.url}${input.route}`, {
              method: input.method,
              headers: headersFor(input),
              body: input.method === 'GET' ? undefined : input.body,
            });
            return { status: response.status, text: await response.text() };
          }),
        );
        for (const { status, text } of answers) {
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status >= 500 || status < 200) throw new Error(`${status} ${text.slice(0, 300)}`);
        }
      }),
      { numRuns: RUNS / CONCURRENT, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
    );
    // Every kind of answer came up, accepted events included.
    expect([...statuses.keys()].some((status) => status === 200)).toBe(true);
    expect([...statuses.keys()].some((status) => status === 400)).toBe(true);
    expect([...statuses.values()].reduce((sum, count) => sum + count, 0)).toBe(RUNS);
    expect((await fetch(`${ingest.url}/health`)).status).toBe(200);
    expect((await fetch(`${ingest.url}/ready`)).status).toBe(200);
  }, 900_000);
});

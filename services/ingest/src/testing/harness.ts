/**
 * Test support for the ingest integration specs. Like everything under src/testing/, it is left
 * out of the build and may use tools/testing.
 */
import { createHmac } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { z } from 'zod';
import { TOPICS, rawEventSchema, rejectedEventSchema } from '@touchstream/contracts';
import { KafkaRuntime, type ConsumedMessage, type TopicReader } from '@touchstream/kafka';
import { Logger, type LogLevel } from '@touchstream/logging';
import { createService, loadConfig } from '@touchstream/platform';
import { testLogger, waitFor } from '@touchstream/testing';
import { IngestAppModule, SERVICE_NAME } from '../app.module';
import { ingestConfigSchema } from '../config';

export interface RunningIngest {
  url: string;
  app: NestFastifyApplication;
  close: () => Promise<void>;
}

/** Boots the ingest app in this process (Nest on Fastify, port 0) against a real broker. */
export async function startIngest(env: Record<string, string>, options: { logLevel?: LogLevel } = {}): Promise<RunningIngest> {
  const config = loadConfig(ingestConfigSchema, { LOG_LEVEL: 'warn', ...env, INGEST_PORT: '0', HOST: '127.0.0.1' });
  const logger = options.logLevel ? new Logger({ service: SERVICE_NAME, level: options.logLevel }) : testLogger(SERVICE_NAME);
  const app = await createService(IngestAppModule.register(config, { logger }), {
    service: SERVICE_NAME,
    port: 0,
    host: '127.0.0.1',
    rawBody: true,
    bodyLimit: config.INGEST_MAX_REQUEST_BYTES * 2,
  });
  return { url: await app.getUrl(), app, close: () => app.close() };
}

export function basicAuth(writeKey: string): string {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
}

export function sign(secret: string, body: string): string {
  return createHmac('sha1', secret).update(body).digest('hex');
}

export interface Answer {
  status: number;
  headers: Headers;
  /** The parsed JSON body (the text when it was not JSON). */
  body: Record<string, unknown>;
}

export type StoredRaw = z.output<typeof rawEventSchema>;
export type StoredRejected = z.output<typeof rejectedEventSchema>;

export async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text }; // Not JSON: the assertion that follows shows the text.
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Reads the raw and rejected topics of a namespace from the beginning, as any consumer would. */
export class TopicWatch {
  private readonly readers = new Map<string, TopicReader>();

  constructor(private readonly runtime: KafkaRuntime) {}

  static forPrefix(brokers: string[], topicPrefix: string): TopicWatch {
    return new TopicWatch(new KafkaRuntime({ brokers, clientId: 'ingest-test-reader', topicPrefix }, testLogger('reader')));
  }

  async start(): Promise<void> {
    for (const spec of [TOPICS.rawEvents, TOPICS.rejectedEvents]) {
      const reader = this.runtime.reader(this.runtime.topic(spec));
      await reader.start();
      this.readers.set(spec.name, reader);
    }
  }

  /** The raw topic so far, each value checked against its contract. */
  raw(): ConsumedMessage<StoredRaw>[] {
    return this.messages(TOPICS.rawEvents.name, (value) => rawEventSchema.parse(value));
  }

  rejected(): ConsumedMessage<StoredRejected>[] {
    return this.messages(TOPICS.rejectedEvents.name, (value) => rejectedEventSchema.parse(value));
  }

  /** Waits until `select` finds at least `count` messages, then returns them. */
  waitForRaw(
    select: (message: ConsumedMessage<StoredRaw>) => boolean,
    count: number,
    description: string,
  ): Promise<ConsumedMessage<StoredRaw>[]> {
    return waitForCount(() => this.raw().filter(select), count, description);
  }

  waitForRejected(
    select: (message: ConsumedMessage<StoredRejected>) => boolean,
    count: number,
    description: string,
  ): Promise<ConsumedMessage<StoredRejected>[]> {
    return waitForCount(() => this.rejected().filter(select), count, description);
  }

  async stop(): Promise<void> {
    for (const reader of this.readers.values()) await reader.stop();
  }

  private messages<T>(name: string, parse: (value: unknown) => T): ConsumedMessage<T>[] {
    const reader = this.readers.get(name);
    if (!reader) throw new Error('TopicWatch was not started');
    return reader.received().map((message) => ({ ...message, value: parse(JSON.parse(message.value?.toString('utf8') ?? 'null')) }));
  }
}

function waitForCount<T>(found: () => T[], count: number, description: string): Promise<T[]> {
  return waitFor(
    () => {
      const matches = found();
      return matches.length >= count ? matches : undefined;
    },
    { description, timeoutMs: 30_000 },
  );
}

/** A realistic page view, as analytics.js would send it. */
export function pageEvent(messageId: string, anonymousId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'page',
    messageId,
    anonymousId,
    timestamp: '2026-03-01T10:00:00.000Z',
    name: 'Pricing',
    properties: { url: 'https://www.example.com/pricing?utm_source=newsletter', path: '/pricing', referrer: 'https://news.example.org/' },
    context: {
      page: { url: 'https://www.example.com/pricing?utm_source=newsletter', referrer: 'https://news.example.org/', path: '/pricing' },
      campaign: { source: 'newsletter', medium: 'email', name: 'spring' },
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
      library: { name: 'analytics.js', version: '5.0.0' },
    },
    ...extra,
  };
}

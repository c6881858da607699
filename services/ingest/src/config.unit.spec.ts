import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@touchstream/platform';
import { ingestConfigSchema } from './config';

describe('ingest configuration', () => {
  it("defaults to Segment's limits, no write keys and no webhook secret", () => {
    const config = loadConfig(ingestConfigSchema, {});
    expect(config.SEGMENT_SHARED_SECRET).toBeUndefined();
    expect(config).toMatchObject({
      INGEST_PORT: 3000,
      INGEST_WRITE_KEYS: [],
      INGEST_MAX_EVENT_BYTES: 32_768,
      INGEST_MAX_REQUEST_BYTES: 512_000,
      INGEST_MAX_BATCH_EVENTS: 2_500,
      INGEST_ACK_TIMEOUT_MS: 3_000,
      INGEST_RETRY_AFTER_SECONDS: 5,
    });
  });

  it('reads a comma-separated list of write keys and the limits', () => {
    const config = loadConfig(ingestConfigSchema, {
      INGEST_WRITE_KEYS: ' a1 ,b2,, ',
      SEGMENT_SHARED_SECRET: 's',
      INGEST_MAX_BATCH_EVENTS: '100',
      INGEST_ACK_TIMEOUT_MS: '1500',
    });
    expect(config).toMatchObject({
      INGEST_WRITE_KEYS: ['a1', 'b2'],
      SEGMENT_SHARED_SECRET: 's',
      INGEST_MAX_BATCH_EVENTS: 100,
      INGEST_ACK_TIMEOUT_MS: 1_500,
    });
  });

  it('fails at boot on a bad value, naming it', () => {
    expect(() => loadConfig(ingestConfigSchema, { INGEST_WRITE_KEYS: 'a:b' })).toThrow(/INGEST_WRITE_KEYS: a write key cannot contain ":"/);
    expect(() => loadConfig(ingestConfigSchema, { INGEST_ACK_TIMEOUT_MS: '6000' })).toThrow(ConfigError);
    expect(() => loadConfig(ingestConfigSchema, { INGEST_MAX_EVENT_BYTES: '-1' })).toThrow(/INGEST_MAX_EVENT_BYTES/);
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonEnv, ConfigError, loadConfig } from './config';
import { kafkaSettingsFrom } from './settings';

const schema = z.object(commonEnv);

describe('kafka settings from the environment', () => {
  it('fetches at least 64 kB or waits 200 ms by default', () => {
    const settings = kafkaSettingsFrom(loadConfig(schema, {}), 'test');
    expect(settings).toMatchObject({ brokers: ['127.0.0.1:19092'], clientId: 'test', fetchMinBytes: 65_536, fetchMaxWaitMs: 200 });
  });

  it('takes the fetch settings from KAFKA_FETCH_MIN_BYTES and KAFKA_FETCH_MAX_WAIT_MS', () => {
    const settings = kafkaSettingsFrom(loadConfig(schema, { KAFKA_FETCH_MIN_BYTES: '1', KAFKA_FETCH_MAX_WAIT_MS: '0' }), 'test');
    expect(settings).toMatchObject({ fetchMinBytes: 1, fetchMaxWaitMs: 0 });
  });

  it('refuses fetch settings out of range, naming them', () => {
    const attempt = () => loadConfig(schema, { KAFKA_FETCH_MIN_BYTES: '0', KAFKA_FETCH_MAX_WAIT_MS: 'soon' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/KAFKA_FETCH_MIN_BYTES/);
    expect(attempt).toThrow(/KAFKA_FETCH_MAX_WAIT_MS/);
    expect(() => loadConfig(schema, { KAFKA_FETCH_MAX_WAIT_MS: '10001' })).toThrow(/KAFKA_FETCH_MAX_WAIT_MS/);
  });

  it('calls a consumer partition stuck after 3 minutes without progress, or KAFKA_CONSUMER_STUCK_AFTER_MS', () => {
    expect(kafkaSettingsFrom(loadConfig(schema, {}), 'test').consumerStuckAfterMs).toBe(180_000);
    expect(kafkaSettingsFrom(loadConfig(schema, { KAFKA_CONSUMER_STUCK_AFTER_MS: '5000' }), 'test').consumerStuckAfterMs).toBe(5_000);
    expect(() => loadConfig(schema, { KAFKA_CONSUMER_STUCK_AFTER_MS: '999' })).toThrow(/KAFKA_CONSUMER_STUCK_AFTER_MS/);
    expect(() => loadConfig(schema, { KAFKA_CONSUMER_STUCK_AFTER_MS: 'soon' })).toThrow(/KAFKA_CONSUMER_STUCK_AFTER_MS/);
  });
});

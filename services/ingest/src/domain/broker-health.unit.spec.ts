import { describe, expect, it } from 'vitest';
import { BrokerHealth } from './broker-health';

function setup() {
  let now = 0;
  const checks: Array<(value: boolean) => void> = [];
  const health = new BrokerHealth(
    () => new Promise<boolean>((resolve) => checks.push(resolve)),
    { recheckAfterMs: 5_000 },
    () => now,
  );
  return {
    health,
    checks,
    advance: (ms: number) => (now += ms),
    /** Settles the oldest pending broker check. */
    answer: async (value: boolean) => {
      checks.shift()?.(value);
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

describe('BrokerHealth', () => {
  it('is ready while requests are acknowledged, without asking the broker', () => {
    const { health, checks, advance } = setup();
    expect(health.ready()).toBe(true);
    advance(4_000);
    health.record('acked');
    advance(4_000);
    expect(health.ready()).toBe(true);
    expect(checks).toHaveLength(0);
  });

  it('is not ready after a failed or timed-out request, until the broker answers a check', async () => {
    const { health, checks, answer } = setup();
    health.record('timeout');
    expect(health.ready()).toBe(false);
    expect(health.ready()).toBe(false);
    expect(checks).toHaveLength(1);
    await answer(false);
    expect(health.ready()).toBe(false);
    await answer(true);
    expect(health.ready()).toBe(true);
  });

  it('checks the broker when it has heard nothing for a while (an idle instance finds out by itself)', async () => {
    const { health, checks, advance, answer } = setup();
    advance(5_000);
    expect(health.ready()).toBe(true);
    expect(checks).toHaveLength(1);
    await answer(false);
    expect(health.ready()).toBe(false);
  });

  it('lets a request outcome newer than a check win over it', async () => {
    const { health, advance, answer } = setup();
    health.record('failed');
    expect(health.ready()).toBe(false);
    advance(10);
    health.record('failed');
    await answer(true);
    expect(health.ready()).toBe(false);
  });
});

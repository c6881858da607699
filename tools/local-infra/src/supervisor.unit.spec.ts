import { describe, expect, it } from 'vitest';
import { nextRestart } from './supervisor';

describe('nextRestart', () => {
  const policy = { maxRestarts: 3, initialDelayMs: 1_000, maxDelayMs: 3_000, stableAfterMs: 60_000 };

  it('backs off, doubling up to the cap, and gives up after the last restart in a row', () => {
    expect(nextRestart(0, 500, policy)).toEqual({ restart: 1, delayMs: 1_000 });
    expect(nextRestart(1, 500, policy)).toEqual({ restart: 2, delayMs: 2_000 });
    expect(nextRestart(2, 500, policy)).toEqual({ restart: 3, delayMs: 3_000 });
    expect(nextRestart(3, 500, policy)).toBeNull();
  });

  it('starts a new row for a process that ran stably before it exited', () => {
    expect(nextRestart(3, 60_000, policy)).toEqual({ restart: 1, delayMs: 1_000 });
  });
});

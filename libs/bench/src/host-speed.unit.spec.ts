import { describe, expect, it } from 'vitest';
import { describeHostSpeed, measureHostSpeed } from './host-speed';

describe('measureHostSpeed', () => {
  it('does the same amount of work on every run, whatever the host', () => {
    expect(measureHostSpeed(3, 1).parsedObjects).toBe(6_000);
    expect(measureHostSpeed(5, 2).parsedObjects).toBe(10_000);
  });

  it('times the work: more rounds take more CPU', () => {
    const short = measureHostSpeed(2, 1);
    const long = measureHostSpeed(40, 1);
    expect(long.cpuMs).toBeGreaterThan(short.cpuMs);
    expect(long.wallMs).toBeGreaterThan(0);
  });

  it('says what it measured and which way is better', () => {
    expect(describeHostSpeed({ cpuMs: 524, wallMs: 530, parsedObjects: 600_000 })).toBe(
      'host speed probe 524 ms CPU, 530 ms wall (fixed JSON workload; lower is faster)',
    );
  });
});

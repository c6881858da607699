import { describe, expect, it } from 'vitest';
import { describeHostSpeed, measureHostSpeed } from './host-speed';

describe('measureHostSpeed', () => {
  it('does the same amount of work on every run, whatever the host', () => {
    // scale 0.01: 3 rounds of 2,000 objects in cache, 3 rounds of 2,000 on the heap.
    expect(measureHostSpeed(1, 0.01).parsedObjects).toBe(12_000);
    expect(measureHostSpeed(2, 0.01).parsedObjects).toBe(12_000);
  });

  it('times the work: more of it takes more CPU', () => {
    const short = measureHostSpeed(1, 0.01);
    const long = measureHostSpeed(1, 0.2);
    expect(long.cpuMs).toBeGreaterThan(short.cpuMs);
    expect(long.heapCpuMs).toBeGreaterThan(short.heapCpuMs);
  });

  it('says what it measured and which way is better', () => {
    expect(describeHostSpeed({ cpuMs: 330, heapCpuMs: 1450, parsedObjects: 1_200_000 })).toBe(
      'host speed probe: 330 ms in cache, 1,450 ms heap (CPU; lower is faster)',
    );
  });
});

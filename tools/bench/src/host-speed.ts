/**
 * Two fixed CPU workloads, timed: how fast this (shared, virtual) host is right now.
 *
 * The same code on this machine has run 13-70% slower an hour or two later, and a figure from
 * one session says little next to one from another unless both say how fast the host was. Every
 * benchmark runs this before and after it measures and reports the timings next to its rate.
 *
 * Both workloads are what the services spend their CPU on: JSON.parse and JSON.stringify of
 * event-shaped objects (URLs, ISO timestamps, ids), single-threaded, in CPU time (a probe that
 * waited for a core reads the same; a slower core reads slower).
 * - in cache: a 250 KB document parsed 300 times. It tracks the core's speed, but it did not
 *   move when the sink needed 1.6x the CPU it had two hours earlier for the same code (fourth
 *   round in docs/benchmarks-sink.md): the services' work also depends on memory and the collector.
 * - heap: a 25 MB document parsed 3 times: out of the caches, and the parsed objects outgrow the
 *   young generation, as a service's batches do.
 * Each is the fastest of three repeats: a repeat that shared its core with the broker's or
 * Postgres's work says less about the host than the quickest one.
 */
export interface HostSpeed {
  /** CPU milliseconds of the in-cache workload (lower is faster). */
  cpuMs: number;
  /** CPU milliseconds of the heap workload (lower is faster). */
  heapCpuMs: number;
  /** Objects the workloads parsed: the same on every run (a check the work was done). */
  parsedObjects: number;
}

interface Workload {
  objects: number;
  rounds: number;
}

const IN_CACHE: Workload = { objects: 2_000, rounds: 300 };
const HEAP: Workload = { objects: 200_000, rounds: 3 };

function workloadDocument(objects: number): string {
  return JSON.stringify(
    Array.from({ length: objects }, (_, i) => ({
      id: `message-${i}`,
      url: `https://www.example.com/pricing?utm_source=newsletter&utm_medium=email&n=${i}`,
      n: i,
      at: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
    })),
  );
}

/** Runs both workloads `repeats` times each (`scale` shortens them, for tests) and keeps the fastest of each. */
export function measureHostSpeed(repeats = 3, scale = 1): HostSpeed {
  const inCache = fastestOf({ objects: IN_CACHE.objects, rounds: Math.max(1, Math.round(IN_CACHE.rounds * scale)) }, repeats);
  const heap = fastestOf({ objects: Math.max(1, Math.round(HEAP.objects * scale)), rounds: HEAP.rounds }, repeats);
  return { cpuMs: inCache.cpuMs, heapCpuMs: heap.cpuMs, parsedObjects: inCache.parsedObjects + heap.parsedObjects };
}

function fastestOf(workload: Workload, repeats: number): { cpuMs: number; parsedObjects: number } {
  const document = workloadDocument(workload.objects);
  let fastest: { cpuMs: number; parsedObjects: number } | undefined;
  for (let repeat = 0; repeat < repeats; repeat += 1) {
    const run = runWorkload(document, workload.rounds);
    if (fastest === undefined || run.cpuMs < fastest.cpuMs) fastest = run;
  }
  return fastest ?? { cpuMs: 0, parsedObjects: 0 };
}

function runWorkload(document: string, rounds: number): { cpuMs: number; parsedObjects: number } {
  const cpuBefore = process.cpuUsage();
  let parsedObjects = 0;
  for (let round = 0; round < rounds; round += 1) {
    const parsed = JSON.parse(document) as unknown[];
    parsedObjects += parsed.length;
    if (JSON.stringify(parsed).length !== document.length) throw new Error('host-speed workload: round trip changed the document');
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { cpuMs: Math.round((cpu.user + cpu.system) / 1000), parsedObjects };
}

/** One line for a report: "host speed probe: 330 ms in cache, 1,450 ms heap (CPU; lower is faster)". */
export function describeHostSpeed(speed: HostSpeed): string {
  return `host speed probe: ${speed.cpuMs.toLocaleString('en')} ms in cache, ${speed.heapCpuMs.toLocaleString('en')} ms heap (CPU; lower is faster)`;
}

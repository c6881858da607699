// Benchmark, not a test: `npm run bench -w @touchstream/source-detection`.
// Classifies 1,000,000 generated page views on one core; reports throughput and per-call latency.
//
// It measures the built library (dist/, what services run), which the script builds first: run
// from src/ through tsx, every cross-module call would go through the export getters that tsx's
// transform adds, which production code does not pay. The script runs tsx with
// tsconfig.build.json (no path mapping), so the package name resolves to dist/; type-checking
// (root tsconfig) maps it to src/.
//
// Page views are generated in batches of 10,000 just before they are classified, as a consumer
// classifies events it has just parsed: a million views generated up front would measure cache
// misses on a 400 MB heap rather than the classifier.
//
// The machine is shared (2 cores, other builds running): wall-clock throughput includes the
// time the process waited for a core, so the median batch and the CPU time are reported too.

// eslint-disable-next-line touchstream/module-boundaries -- the benchmark measures the built package, as consumers load it
import { classifyTouch, type PageView } from '@touchstream/source-detection';
import { loadavg } from 'node:os';
import { PageViewGenerator } from './page-view-generator';

const COUNT = 1_000_000;
const BATCH = 10_000;
const SEED = 20_250_101;
const TARGET_PER_SECOND = 300_000;

interface BatchTime {
  readonly wallNs: number;
  readonly cpuUs: number;
}

function main(): void {
  const generator = new PageViewGenerator(SEED);
  const warmUp = generator.next(BATCH);
  for (let round = 0; round < 20; round++) for (const view of warmUp) classifyTouch(view);

  const channels = new Map<string, number>();
  const latencies = new Float64Array(COUNT);
  const batches: BatchTime[] = [];
  for (let done = 0; done < COUNT; done += BATCH) {
    const views = generator.next(Math.min(BATCH, COUNT - done));
    batches.push(classifyAll(views, channels));
    timeEachCall(views, latencies, done);
  }
  latencies.sort();

  const wallSeconds = batches.reduce((sum, batch) => sum + batch.wallNs, 0) / 1e9;
  const cpuSeconds = batches.reduce((sum, batch) => sum + batch.cpuUs, 0) / 1e6;
  const batchRates = Float64Array.from(batches, (batch) => BATCH / (batch.wallNs / 1e9)).sort();
  const rate = (perSecond: number) => Math.round(perSecond).toLocaleString('en');
  const perCpuSecond = COUNT / cpuSeconds;

  console.log(
    `page views: ${COUNT.toLocaleString('en')} (seed ${SEED}), node ${process.version}, load average ${loadavg()[0]?.toFixed(2)}`,
  );
  console.log(
    `throughput: ${rate(COUNT / wallSeconds)}/s wall-clock (${(wallSeconds * 1e3).toFixed(0)} ms), ` +
      `${rate(quantile(batchRates, 0.5))}/s median batch, ${rate(perCpuSecond)}/s per CPU-second ` +
      `(target ${rate(TARGET_PER_SECOND)}/s on one core: ${perCpuSecond >= TARGET_PER_SECOND ? 'met' : 'MISSED'})`,
  );
  console.log(
    `per call: p50 ${us(quantile(latencies, 0.5))} µs, p99 ${us(quantile(latencies, 0.99))} µs, ` +
      `p99.9 ${us(quantile(latencies, 0.999))} µs, max ${us(latencies[COUNT - 1] ?? 0)} µs ` +
      `(each call timed alone; includes ~${timerOverhead()} ns of timer overhead)`,
  );
  console.log('channels:', Object.fromEntries([...channels].sort((a, b) => b[1] - a[1])));
}

/** Classifies a batch in one timed loop. */
function classifyAll(views: readonly PageView[], channels: Map<string, number>): BatchTime {
  const results = new Array<string>(views.length);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < views.length; i++) results[i] = classifyTouch(views[i] ?? {}).channel ?? 'internal';
  const wallNs = Number(process.hrtime.bigint() - start);
  const used = process.cpuUsage(cpu);
  for (const channel of results) channels.set(channel, (channels.get(channel) ?? 0) + 1);
  return { wallNs, cpuUs: used.user + used.system };
}

function timeEachCall(views: readonly PageView[], latencies: Float64Array, offset: number): void {
  for (let i = 0; i < views.length; i++) {
    const view = views[i] ?? {};
    const start = process.hrtime.bigint();
    classifyTouch(view);
    latencies[offset + i] = Number(process.hrtime.bigint() - start);
  }
}

function timerOverhead(): number {
  const samples = new Float64Array(100_000);
  for (let i = 0; i < samples.length; i++) {
    const start = process.hrtime.bigint();
    samples[i] = Number(process.hrtime.bigint() - start);
  }
  return Math.round(quantile(samples.sort(), 0.5));
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function us(nanoseconds: number): string {
  return (nanoseconds / 1e3).toFixed(2);
}

main();

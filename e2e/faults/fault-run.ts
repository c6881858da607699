import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { touchIdOf } from '@touchstream/contracts';
import { identifyMessageId, trackMessageId } from '@touchstream/segment-delivery';
import { waitFor } from '@touchstream/testing';
import { DeliveryCounter } from '../bench/delivery-counter';
import type { Pipeline, ServiceName } from '../src/pipeline';
import type { PipelineWatch } from '../src/pipeline-watch';
import { faultFigures, figuresTable, type FaultFigures } from './fault-figures';
import type { LoadEvent, SteadyLoad } from './steady-load';
import { FAULTS_CACHE, type ThrowawayBroker, type ThrowawayPostgres } from './throwaway-infrastructure';

/** What a fault acts on. */
export interface FaultBench {
  pipeline: Pipeline;
  watch: PipelineWatch;
  load: SteadyLoad;
  broker: ThrowawayBroker;
  postgres: ThrowawayPostgres;
}

/**
 * One fault: brought about while the load flows, held until it has bitten (a condition), then
 * ended. Recovery is timed from the moment `end` starts.
 */
export interface Fault {
  name: string;
  /** In the bounded subset CI runs. */
  ci?: boolean;
  begin(bench: FaultBench): Promise<void>;
  /** Resolves once the fault has had an effect worth recovering from (waits on a condition). */
  hold(bench: FaultBench): Promise<unknown>;
  end(bench: FaultBench): Promise<void>;
  /** What the fault must also leave true once the pipeline is quiet again (failures are thrown). */
  verify?(bench: FaultBench): Promise<void>;
  /** Hands the pipeline back as the suite runs it, once the fault's figures are in. */
  release?(bench: FaultBench): Promise<void>;
  /** What the fault measured besides the figures, filled while it runs. */
  notes?: string[];
}

/** A row of the table: the figures, and what failed (empty when nothing did). */
export interface FaultOutcome extends FaultFigures {
  problems: string[];
  outcome: string;
  /** What the fault's run also measured (dead letters, ingest's answers to poison, ...). */
  notes: string[];
}

/** Every accepted page view makes a new visitor: one touch tracked and one identify of the anonymous visitor, version 1. */
export function expectedCalls(event: Pick<LoadEvent, 'messageId' | 'anonymousId'>): string[] {
  return [trackMessageId(touchIdOf(event.messageId)), identifyMessageId('anonymous', event.anonymousId, 1)];
}

const BEFORE_FAULT = 10;
const AFTER_FAULT = 20;

/** Events accepted under `fault` since `since` (Date.now()). */
export function acceptedSince(load: SteadyLoad, fault: string, since: number): number {
  return load.of(fault).filter((event) => event.acceptedAt !== undefined && event.acceptedAt >= since).length;
}

/**
 * Runs one fault under the steady load and measures it: some events accepted before it, the
 * fault, some accepted after it ended; then the load stops, every accepted event must arrive, the
 * pipeline must settle (every group at its end, every outbox drained) and no service may have
 * exited on its own. Never throws: what failed is in the outcome's problems, and the pipeline is
 * brought back to a running state for the next fault.
 */
export async function runFault(fault: Fault, bench: FaultBench): Promise<FaultOutcome> {
  const { load, pipeline, watch } = bench;
  const counter = new DeliveryCounter(pipeline.receiver);
  const problems: string[] = [];
  const attempt = async (what: string, step: () => Promise<unknown>) => {
    const began = Date.now();
    try {
      await step();
      progress(`${fault.name}: ${what} (${((Date.now() - began) / 1000).toFixed(1)} s)`);
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message.split('\n')[0]}`);
      progress(`${fault.name}: ${what} FAILED: ${problems.at(-1)}`);
    }
  };
  const startedAt = Date.now();
  let endedAt = startedAt;
  load.start(fault.name);
  await attempt('steady load before the fault', () =>
    waitFor(() => acceptedSince(load, fault.name, startedAt) >= BEFORE_FAULT, {
      timeoutMs: 120_000,
      description: `${BEFORE_FAULT} events accepted`,
    }),
  );
  await attempt('bringing the fault about', () => fault.begin(bench));
  await attempt('holding the fault', () => fault.hold(bench));
  endedAt = Date.now();
  await attempt('ending the fault', () => fault.end(bench));
  await attempt('load after the fault', () =>
    waitFor(() => acceptedSince(load, fault.name, endedAt) >= AFTER_FAULT, {
      timeoutMs: 120_000,
      intervalMs: 200,
      description: `${AFTER_FAULT} events accepted by ingest after the fault ended`,
    }),
  );
  const givenUp = await load.stop(60_000);
  if (givenUp > 0) problems.push(`ingest had still not accepted ${givenUp} events a minute after the load stopped`);
  const accepted = load.of(fault.name).filter((event) => event.acceptedAt !== undefined);
  await attempt('delivery', () =>
    waitFor(() => accepted.every((event) => expectedCalls(event).every((call) => counter.copies(call) > 0)), {
      timeoutMs: 180_000,
      intervalMs: 500,
      description: `the track and identify of each of the ${accepted.length} accepted events at the receiver`,
    }),
  );
  await attempt('settling', () => watch.settled(90_000));
  for (const { service, code, output } of pipeline.exited())
    problems.push(`${service} exited on its own (code ${code}): ${lastLines(output)}`);
  if (load.rejected.length > 0) problems.push(`ingest rejected ${load.rejected.length} clean events: ${load.rejected[0]?.reason}`);
  if (fault.verify) await attempt('verifying', () => fault.verify?.(bench) ?? Promise.resolve());
  if (fault.release) await attempt('handing the pipeline back', () => fault.release?.(bench) ?? Promise.resolve());
  await restore(bench, problems);

  const figures = faultFigures(fault.name, load.of(fault.name), expectedCalls, counter, endedAt);
  if (figures.missing > 0) problems.push(`${figures.missing} accepted events never arrived, e.g. ${figures.missingIds[0]}`);
  return { ...figures, problems, notes: fault.notes ?? [], outcome: problems.length === 0 ? 'ok' : 'FAILED' };
}

/** Brings back whatever a failed fault left down, so the next fault starts from a running pipeline. */
async function restore(bench: FaultBench, problems: string[]): Promise<void> {
  const { pipeline, broker, postgres, load } = bench;
  try {
    await load.stop(0);
    pipeline.receiver.failWhen(() => undefined);
    pipeline.receiver.release();
    if (!(await broker.answers())) await broker.start();
    await postgres.start().catch(() => undefined); // already running: pg_ctl refuses, nothing to do
    // After a failure nothing a service holds in memory can be trusted (a consumer stuck on a
    // topic that is gone): every service starts afresh, so one fault's damage is not the next one's.
    if (problems.length > 0) await pipeline.stopServices();
    for (const { service } of pipeline.exited()) await pipeline.stopService(service);
    for (const service of ['ingest', 'identity', 'attribution', 'segment-sink'] as ServiceName[])
      if (!pipeline.isRunning(service)) await pipeline.startService(service);
  } catch (error) {
    problems.push(`restoring the pipeline for the next fault: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** One line per step as the suite goes, so a long run can be followed. */
function progress(line: string): void {
  process.stdout.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function lastLines(output: string, count = 3): string {
  return output.trim().split('\n').slice(-count).join(' / ').slice(0, 600);
}

/**
 * Writes the figures so far to .cache/faults/result.json (docs/reliability.md quotes them); after
 * every fault, so a run stopped half-way still leaves what it measured. Returns the file.
 */
export function writeFaultResult(outcomes: readonly FaultOutcome[], subset: string, startedAt: Date): string {
  mkdirSync(FAULTS_CACHE, { recursive: true });
  const file = resolve(FAULTS_CACHE, 'result.json');
  const result = {
    command: subset === 'ci' ? 'FAULTS=ci npm run test:faults' : 'npm run test:faults',
    subset,
    commit: gitDescription(),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    host: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    faults: outcomes,
  };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** The commit the run measured, marked when the checkout had changes. */
function gitDescription(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** The table of every fault run, with their notes and what failed. */
export function reportFaults(outcomes: readonly FaultOutcome[], subset: string, file: string): string {
  const table = figuresTable(outcomes);
  const details = outcomes.flatMap((outcome) => [
    ...outcome.notes.map((note) => `  ${outcome.fault}: ${note}`),
    ...outcome.problems.map((problem) => `  ${outcome.fault}: FAILED ${problem}`),
  ]);
  return [`faults (${subset}), figures in ${file}:`, table, ...details].join('\n');
}

/** Lines of each service's output printed when a fault fails (the whole output goes to a file). */
const OUTPUT_TAIL_LINES = 30;

/**
 * Keeps what each service printed during a failed fault in `.cache/faults/<fault>/<service>.log`
 * and prints the last lines of each: a CI log then shows why a consumer stalled.
 */
export function keepServiceOutputs(fault: string, outputs: ReadonlyArray<{ service: string; output: string }>): void {
  const dir = resolve(FAULTS_CACHE, fault.replace(/[^a-z0-9]+/gi, '-'));
  mkdirSync(dir, { recursive: true });
  for (const { service, output } of outputs) {
    writeFileSync(resolve(dir, `${service}.log`), output);
    const tail = output.trimEnd().split('\n').slice(-OUTPUT_TAIL_LINES).join('\n');
    process.stdout.write(`\n--- ${fault}: the last lines of ${service} (all in ${dir}/${service}.log) ---\n${tail}\n`);
  }
}

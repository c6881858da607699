import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';

/** Events (or messages) per second, rounded, with thousands separators. */
export const rate = (perSecond: number): string => Math.round(perSecond).toLocaleString('en');

/** Milliseconds as seconds with one decimal. */
export const seconds = (ms: number): string => (ms / 1000).toFixed(1);

/** A count with thousands separators. */
export const count = (n: number): string => n.toLocaleString('en');

/** The value at percentile p (0-100) of an ascending array; 0 when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** 1-, 5- and 15-minute load averages, two decimals: the machine is shared, so every report says how busy it was. */
export function loadAverage(): number[] {
  return loadavg().map((load) => Number(load.toFixed(2)));
}

/** What a result was measured on. */
export function machine(): { node: string; cores: number; cpuModel: string; loadAverage: number[] } {
  return { node: process.version, cores: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', loadAverage: loadAverage() };
}

/** Writes a result as JSON (--json=FILE), creating its folder: a fresh checkout has no .cache/bench yet. */
export function writeJsonResult(file: string, result: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
}

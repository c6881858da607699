import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** CPU seconds a process has used (user + system), from /proc; 0 once it is gone. */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Resident memory now (VmRSS) and its peak so far (VmHWM) in bytes, from /proc; undefined once the process is gone. */
export async function memoryOf(pid: number): Promise<{ rssBytes: number; peakRssBytes: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rssBytes: kb('VmRSS') * 1024, peakRssBytes: kb('VmHWM') * 1024 };
  } catch {
    return undefined;
  }
}

/**
 * Peak resident memory (VmHWM) of a running process, sampled from /proc until stopped: the
 * kernel's high-water mark is lost when the process exits, so it is read while it runs.
 */
export function sampleHighWater(pid: number, intervalMs = 100): { peakBytes: () => number; stop: () => number } {
  let peak = 0;
  const timer = setInterval(() => {
    void memoryOf(pid).then((memory) => {
      if (memory && memory.peakRssBytes > peak) peak = memory.peakRssBytes;
    });
  }, intervalMs);
  return {
    peakBytes: () => peak,
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

import { Injectable } from '@nestjs/common';

/** A probe's answer: ready or not, and optionally what /ready should say about it (no secrets, no payload values). */
export interface ProbeResult {
  ready: boolean;
  detail?: unknown;
}

export type ReadinessProbe = () => boolean | ProbeResult | Promise<boolean | ProbeResult>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, boolean>;
  /** What the probes that gave one said, by check name (a stuck consumer names its partitions). */
  details: Record<string, unknown>;
}

/** Each dependency registers a probe; /ready is green only when all of them are. */
@Injectable()
export class ReadinessRegistry {
  private readonly probes = new Map<string, ReadinessProbe>();

  register(name: string, probe: ReadinessProbe): void {
    this.probes.set(name, probe);
  }

  async check(): Promise<ReadinessReport> {
    const checks: Record<string, boolean> = {};
    const details: Record<string, unknown> = {};
    for (const [name, probe] of this.probes) {
      try {
        const result = await probe();
        checks[name] = typeof result === 'boolean' ? result : result.ready;
        if (typeof result !== 'boolean' && result.detail !== undefined) details[name] = result.detail;
      } catch {
        checks[name] = false;
      }
    }
    return { ready: this.probes.size > 0 && Object.values(checks).every(Boolean), checks, details };
  }
}

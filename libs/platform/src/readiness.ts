import { Injectable } from '@nestjs/common';

export type ReadinessProbe = () => boolean | Promise<boolean>;

/** Each dependency registers a probe; /ready is green only when all of them are. */
@Injectable()
export class ReadinessRegistry {
  private readonly probes = new Map<string, ReadinessProbe>();

  register(name: string, probe: ReadinessProbe): void {
    this.probes.set(name, probe);
  }

  async check(): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
    const checks: Record<string, boolean> = {};
    for (const [name, probe] of this.probes) {
      try {
        checks[name] = await probe();
      } catch {
        checks[name] = false;
      }
    }
    return { ready: this.probes.size > 0 && Object.values(checks).every(Boolean), checks };
  }
}

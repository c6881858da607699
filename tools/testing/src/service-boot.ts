import { expect } from 'vitest';
import { startServiceProcess } from './service-process';

/**
 * The contract every service keeps: boots against the real broker (and database), answers
 * /health, /ready and /metrics, and on SIGTERM stops cleanly with exit code 0.
 */
export async function expectServiceBootsAndStops(service: string, env: Record<string, string>, portVariable: string): Promise<void> {
  const running = await startServiceProcess(service, env, portVariable);
  try {
    const health = await fetch(`${running.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${running.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    const metrics = await fetch(`${running.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('\nprocess_cpu_seconds_total ');
  } finally {
    const code = await running.stop('SIGTERM');
    expect(code, running.output()).toBe(0);
  }
}

import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from '@touchstream/local-infra';
import { waitFor } from './wait-for';

/** GET /admin/replay/status as the specs read it (libs/platform ReplayStatus). */
export interface ReplayStatusBody {
  state: 'idle' | 'replaying' | 'failed';
  id: string | null;
  error: string | null;
  groups: Array<{ groupId: string; lag: number; rebuilding: boolean }>;
}

/** POST /admin/replay of a service (its ADMIN_TOKEN); `token` null sends no Authorization header. */
export async function postReplay(
  baseUrl: string,
  token: string | null,
  body: unknown = { from: 'earliest' },
): Promise<{ status: number; body: ReplayStatusBody }> {
  const response = await fetch(`${baseUrl}/admin/replay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as ReplayStatusBody };
}

export async function replayStatus(baseUrl: string, token: string): Promise<ReplayStatusBody> {
  const response = await fetch(`${baseUrl}/admin/replay/status`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`replay status answered ${response.status}`);
  return (await response.json()) as ReplayStatusBody;
}

/** Waits until the service's replay has caught up: nothing rebuilding, no lag, and it did not fail. */
export async function replayFinished(baseUrl: string, token: string, timeoutMs = 60_000): Promise<ReplayStatusBody> {
  const status = await waitFor(
    async () => {
      const current = await replayStatus(baseUrl, token);
      if (current.state === 'failed') return current;
      return current.state === 'idle' && current.groups.every((group) => group.lag === 0 && !group.rebuilding) && current;
    },
    { timeoutMs, intervalMs: 200, description: `the replay of ${baseUrl} to catch up` },
  );
  if (status.state === 'failed') throw new Error(`the replay failed: ${status.error ?? 'no reason given'}`);
  return status;
}

/**
 * Runs `npm run replay`'s script (scripts/replay.mjs, needs `npm run build`) with `env` over this
 * process's environment (IDENTITY_PORT, ATTRIBUTION_PORT, SINK_PORT, ADMIN_TOKEN and DEBUG_TOKEN say where and how).
 */
export function runReplayCommand(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [resolve(REPO_ROOT, 'scripts', 'replay.mjs'), ...args],
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort, REPO_ROOT, serviceNodeFlags } from '@touchstream/local-infra';
import { waitFor } from './wait-for';

/** Re-exported so a spec takes its harness from one package. */
export { freePort };

export interface ServiceProcess {
  url: string;
  output: () => string;
  /** Sends a signal and resolves with the exit code (null when killed by the signal). */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  child: ChildProcess;
}

/**
 * Runs a service's compiled entry point (services/<name>/dist/main.js) as its own process, the
 * way `npm start` and the Docker image do (with its declared Node flags), and waits until it answers /ready.
 */
export async function startServiceProcess(
  service: string,
  env: Record<string, string>,
  portVariable: string,
  options: { readyTimeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const entry = resolve(REPO_ROOT, 'services', service, 'dist', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first (npm test does)`);
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [...serviceNodeFlags(service), entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, [portVariable]: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = `http://127.0.0.1:${port}`;
  let exitCode: number | null | undefined;
  const exitedEarly = exited.then((code) => {
    exitCode = code;
    throw new Error(`${service} exited with code ${code} before it was ready`);
  });
  const ready = waitFor(
    async () => {
      const response = await fetch(`${url}/ready`);
      return response.status === 200;
    },
    { timeoutMs: options.readyTimeoutMs ?? 45_000, intervalMs: 200, description: `${service} to answer /ready` },
  );
  exitedEarly.catch(() => undefined);
  await Promise.race([ready, exitedEarly]).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n--- ${service} output ---\n${output}`);
  });
  return {
    url,
    child,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (exitCode === undefined) child.kill(signal);
      return exited;
    },
  };
}

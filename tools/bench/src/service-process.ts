import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort, REPO_ROOT, serviceNodeFlags } from '@touchstream/local-infra';
import { until } from './until';

/** Re-exported so a benchmark takes its helpers from one package. */
export { freePort };

export interface BenchServiceOptions {
  /** services/<service>/dist/main.js is run. */
  service: string;
  /** Added to this process's environment; the port variable and HOST are set here. */
  env: NodeJS.ProcessEnv;
  /** The variable the service reads its HTTP port from (IDENTITY_PORT, ...). */
  portVariable: string;
  /** Node flags after the service's declared ones (--cpu-prof, ...); a repeated V8 flag's last value wins. */
  nodeArgs?: readonly string[];
  /** Run without the flags the service declares in its package.json (an experiment; default false). */
  withoutDeclaredFlags?: boolean;
  readyTimeoutMs?: number;
}

export interface BenchService {
  readonly pid: number;
  readonly url: string;
  /** From spawn to the first 200 on /ready (migrations, topics, consumer group join). */
  readonly readyMs: number;
  /** Everything the service wrote, kept after the run (.cache/bench/logs/). */
  readonly logFile: string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Sends a signal (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs a service's compiled entry point as its own process, the way production does, with its
 * output on this terminal (benchmarks show the services' warnings as they happen) and in a log
 * file that outlives the run, and waits until it answers /ready. A bench's own output is often
 * filtered or cut short; a relay stall once lost its only evidence that way. Tests use
 * tools/testing's startServiceProcess, which captures output.
 */
export async function startBenchService(options: BenchServiceOptions): Promise<BenchService> {
  const entry = resolve(REPO_ROOT, 'services', options.service, 'dist', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
  const port = await freePort();
  const started = performance.now();
  const declared = options.withoutDeclaredFlags ? [] : serviceNodeFlags(options.service);
  const child = spawn(process.execPath, [...declared, ...(options.nodeArgs ?? []), entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env, [options.portVariable]: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logDirectory = resolve(REPO_ROOT, '.cache', 'bench', 'logs');
  mkdirSync(logDirectory, { recursive: true });
  const logFile = resolve(logDirectory, `${options.service}-${new Date().toISOString().replace(/[:.]/g, '-')}-${child.pid ?? 'nopid'}.log`);
  const log = createWriteStream(logFile);
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    log.write(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    log.write(chunk);
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((done) =>
    // 'close', not 'exit': the output pipes may still hold the last lines when the process exits.
    child.once('close', (code) => {
      exitCode = code;
      log.end(() => done(code));
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const exitedEarly = exited.then((code) => {
    throw new Error(`${options.service} exited with code ${code} before it was ready (its output: ${logFile})`);
  });
  exitedEarly.catch(() => undefined);
  const ready = until(
    async () => ((await fetch(`${url}/ready`)).ok ? true : undefined),
    options.readyTimeoutMs ?? 60_000,
    `${options.service} to be ready`,
  );
  await Promise.race([ready, exitedEarly]).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  if (child.pid === undefined) throw new Error(`${options.service} has no pid`);
  console.log(`${options.service}'s output is also kept in ${logFile}`);
  return {
    pid: child.pid,
    url,
    readyMs: performance.now() - started,
    logFile,
    exited,
    stop: (signal = 'SIGTERM') => {
      if (exitCode === undefined) child.kill(signal);
      return exited;
    },
  };
}

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '@touchstream/local-infra';

/** Where benchmarks keep generated archives between runs. */
export const BENCH_CACHE = join(REPO_ROOT, '.cache', 'bench');

export interface ChildRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a compiled script (a path under the repository) with node, collecting its output; `onStart` gets the pid. */
export function runScript(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  onStart?: (pid: number) => void,
): Promise<ChildRun> {
  const child = spawn(process.execPath, [join(REPO_ROOT, script), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid) onStart?.(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.once('exit', (code) => done({ code, stdout, stderr })));
}

export interface ArchiveSpec {
  users: number;
  days: number;
  seed: string;
}

/**
 * A generated Segment archive (NDJSON.gz, libs/synthetic-data through the compiled generate CLI,
 * in time order), written once per spec into .cache/bench and reused: generating is not what the
 * benchmarks measure. Returns its path and how many events it holds.
 */
export async function ensureArchive(spec: ArchiveSpec, log: (line: string) => void): Promise<{ path: string; events: number }> {
  const path = join(BENCH_CACHE, `archive-${spec.users}u-${spec.days}d-${spec.seed}.ndjson.gz`);
  const meta = `${path}.json`;
  if (existsSync(path) && existsSync(meta))
    return { path, events: (JSON.parse(await readFile(meta, 'utf8')) as { events: number }).events };
  await mkdir(BENCH_CACHE, { recursive: true });
  log(`generating ${path} (once; cached afterwards)`);
  const result = await runScript(
    'services/archive-import/dist/generate.cli.js',
    ['--users', String(spec.users), '--days', String(spec.days), '--seed', spec.seed, '--out', path],
    {},
  );
  if (result.code !== 0) throw new Error(`generate failed: ${result.stderr}`);
  const events = Number(/wrote ([\d,]+) events/.exec(result.stdout)?.[1]?.replace(/,/g, ''));
  if (!Number.isInteger(events)) throw new Error(`generate did not say how many events it wrote: ${result.stdout}`);
  await writeFile(meta, JSON.stringify({ events, ...spec }));
  return { path, events };
}

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { EXIT_CONFIG_INVALID } from '@touchstream/contracts';

/** How a supervised process that exits on its own is started again. */
export interface RestartPolicy {
  /** Restarts in a row before giving up (the caller then stops the rest). */
  maxRestarts: number;
  /** Wait before the first restart; doubled for each further one, up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A process that ran this long before it exited starts a new row of restarts. */
  stableAfterMs: number;
}

/**
 * `npm start`'s policy: a service that exits at boot (a broker still spreading a new topic's
 * metadata, Postgres still starting) gets up to 5 more tries over about a minute; one that ran a
 * minute before it exited counts as a new failure, not the next in a row.
 */
export const DEFAULT_RESTART_POLICY: RestartPolicy = { maxRestarts: 5, initialDelayMs: 2_000, maxDelayMs: 30_000, stableAfterMs: 60_000 };

/**
 * The restart that follows an exit: its number in the row and the wait before it, or null when
 * the row is used up. `restartsInRow` counts the restarts already made since the process last ran
 * for stableAfterMs; `ranMs` is how long the process that exited ran.
 */
export function nextRestart(restartsInRow: number, ranMs: number, policy: RestartPolicy): { restart: number; delayMs: number } | null {
  const row = ranMs >= policy.stableAfterMs ? 0 : restartsInRow;
  if (row >= policy.maxRestarts) return null;
  return { restart: row + 1, delayMs: Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** row) };
}

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
}

interface Supervised {
  spec: ProcessSpec;
  child: ChildProcess | null;
  startedAt: number;
  restartsInRow: number;
  timer: NodeJS.Timeout | null;
}

/**
 * Runs processes and starts one that exits on its own again, with backoff and a bound, saying so;
 * the others keep running. When a process has used up its restarts, `onGiveUp` is told (npm start
 * then stops everything, as before, but only then). stop() ends them all and restarts nothing.
 */
export class Supervisor {
  private readonly processes = new Map<string, Supervised>();
  private stopping = false;

  constructor(
    private readonly options: {
      log: (line: string) => void;
      onGiveUp: (name: string, reason: string) => void;
      policy?: RestartPolicy;
    },
  ) {}

  start(spec: ProcessSpec): void {
    const entry: Supervised = { spec, child: null, startedAt: 0, restartsInRow: 0, timer: null };
    this.processes.set(spec.name, entry);
    this.launch(entry);
  }

  /** The running process of this name (undefined while it waits for a restart or after it gave up). */
  child(name: string): ChildProcess | undefined {
    return this.processes.get(name)?.child ?? undefined;
  }

  /** Names of the processes that are running now. */
  running(): string[] {
    return [...this.processes.values()].filter((entry) => entry.child !== null).map((entry) => entry.spec.name);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.stopping = true;
    const exits: Array<Promise<void>> = [];
    for (const entry of this.processes.values()) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.timer = null;
      const child = entry.child;
      if (!child) continue;
      exits.push(new Promise((done) => child.once('exit', () => done())));
      child.kill(signal);
    }
    await Promise.all(exits);
  }

  private launch(entry: Supervised): void {
    const { spec } = entry;
    const child = spawn(spec.command, spec.args, { env: spec.env, stdio: spec.stdio ?? 'inherit' });
    entry.child = child;
    entry.startedAt = Date.now();
    child.once('exit', (code, signal) => {
      entry.child = null;
      if (this.stopping) return;
      if (code === EXIT_CONFIG_INVALID) return this.refusedConfig(entry);
      this.exited(entry, signal ? `signal ${signal}` : `exit code ${code}`);
    });
  }

  /** A service that refused its settings fails the same way on every restart: give up at once. */
  private refusedConfig(entry: Supervised): void {
    this.options.log(`${entry.spec.name} refused its configuration (exit code ${EXIT_CONFIG_INVALID}); not restarting it`);
    this.options.onGiveUp(entry.spec.name, 'invalid configuration');
  }

  private exited(entry: Supervised, reason: string): void {
    const { policy = DEFAULT_RESTART_POLICY, log, onGiveUp } = this.options;
    const next = nextRestart(entry.restartsInRow, Date.now() - entry.startedAt, policy);
    if (next === null) {
      log(`${entry.spec.name} exited (${reason}) after ${policy.maxRestarts} restarts in a row; giving up`);
      onGiveUp(entry.spec.name, reason);
      return;
    }
    entry.restartsInRow = next.restart;
    log(
      `${entry.spec.name} exited (${reason}); restarting it in ${(next.delayMs / 1000).toFixed(1)} s (restart ${next.restart} of ${policy.maxRestarts})`,
    );
    entry.timer = setTimeout(() => {
      entry.timer = null;
      if (!this.stopping) this.launch(entry);
    }, next.delayMs);
  }
}

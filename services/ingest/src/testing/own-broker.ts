/**
 * A broker of the spec's own, on free ports, for tests that stop, freeze and restart it: the
 * shared broker other engineers' tests use is never touched.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, freeBrokerPort, portAnswers } from '@touchstream/local-infra';
import { waitFor } from '@touchstream/testing';

const run = promisify(execFile);
const SCRIPT = resolve(REPO_ROOT, 'scripts/kafka');

export class OwnBroker {
  private paused = false;

  private constructor(readonly port: number) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  private get runDir(): string {
    return resolve(REPO_ROOT, '.cache', 'kafka', `run-${this.port}`);
  }

  /** Formats a fresh data directory and starts the broker (scripts/kafka start). */
  static async start(): Promise<OwnBroker> {
    const broker = new OwnBroker(await freeBrokerPort());
    await broker.script('start');
    return broker;
  }

  /** Stops it with SIGTERM by its recorded PID (scripts/kafka stop); its data stays on disk. */
  async stop(): Promise<void> {
    this.resume();
    await this.script('stop');
  }

  /** Stops it and deletes its run directory (data, log, PID file). */
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.runDir, { recursive: true, force: true });
  }

  /**
   * Starts the stopped broker again on the same data, with the java arguments scripts/kafka
   * recorded when it launched it (broker.args) but without the fresh format its `start` does,
   * and records the PID where `stop` finds it.
   */
  async restartKeepingData(): Promise<void> {
    const argsFile = resolve(this.runDir, 'broker.args');
    if (!existsSync(argsFile)) throw new Error(`${argsFile} is missing: the broker was never started`);
    const args = readFileSync(argsFile, 'utf8')
      .split('\n')
      .filter((arg) => arg.length > 0);
    const log = openSync(resolve(this.runDir, 'broker.log'), 'a');
    const child = spawn('java', args, { detached: true, stdio: ['ignore', log, log] });
    child.unref();
    writeFileSync(resolve(this.runDir, 'broker.pid'), String(child.pid));
    await waitFor(() => portAnswers(this.port), {
      timeoutMs: 90_000,
      intervalMs: 250,
      description: `the test broker back on ${this.address}`,
    });
  }

  /** Freezes the broker process (SIGSTOP): connections stay open and nothing answers. */
  pause(): void {
    process.kill(this.pid(), 'SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    process.kill(this.pid(), 'SIGCONT');
    this.paused = false;
  }

  private pid(): number {
    return Number(readFileSync(resolve(this.runDir, 'broker.pid'), 'utf8').trim());
  }

  private async script(command: 'start' | 'stop'): Promise<void> {
    await run('bash', [SCRIPT, command], {
      cwd: REPO_ROOT,
      env: { ...process.env, KAFKA_PORT: String(this.port) },
      maxBuffer: 10 * 1024 * 1024,
    });
  }
}

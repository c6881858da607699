import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort, REPO_ROOT } from '@touchstream/local-infra';
import type { ServiceProcess } from '@touchstream/testing';
import { waitFor } from '@touchstream/testing';
import { SERVICES, type ServiceName } from '../src/pipeline-services';

/**
 * `npm start` itself (scripts/start.mjs, after the build) as a child process: it finds or starts
 * the broker through scripts/kafka and boots the four services at once. Stopped with SIGINT, as
 * Ctrl-C does: it stops its services, then whatever it started.
 */
export class NpmStart {
  private output = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly ports: Record<ServiceName, number>,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
  }

  /**
   * Starts it with the services' environment, the broker's port (KAFKA_PORT, never KAFKA_BROKERS:
   * it must find or start the broker as it does for a developer) and free ports for the services.
   */
  static async start(serviceEnv: Record<string, string>, brokerEnv: Record<string, string>): Promise<NpmStart> {
    const ports = {} as Record<ServiceName, number>;
    for (const service of Object.keys(SERVICES) as ServiceName[]) ports[service] = await freePort();
    const env: Record<string, string | undefined> = { ...process.env, ...serviceEnv, ...brokerEnv };
    delete env.KAFKA_BROKERS;
    delete env.SERVICE_UNDER_TEST;
    for (const service of Object.keys(SERVICES) as ServiceName[]) env[SERVICES[service]] = String(ports[service]);
    const child = spawn(process.execPath, [resolve(REPO_ROOT, 'scripts', 'start.mjs')], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = new NpmStart(child, ports);
    try {
      await waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`npm start exited with code ${child.exitCode}`);
          return started.output.includes('[touchstream] ready:');
        },
        { timeoutMs: 180_000, intervalMs: 250, description: 'npm start to print "ready:"' },
      );
    } catch (error) {
      await started.stop();
      throw new Error(`${(error as Error).message}\n--- npm start output ---\n${started.output}`);
    }
    return started;
  }

  /** One of its services, in the shape the Pipeline keeps: stopping it stops the whole `npm start`. */
  service(name: ServiceName): ServiceProcess {
    return {
      url: `http://127.0.0.1:${this.ports[name]}`,
      child: this.child,
      output: () => this.output,
      stop: () => this.stop(),
    };
  }

  /** Ctrl-C. Resolves with its exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
    return this.exited;
  }
}

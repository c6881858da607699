// The whole pipeline on one machine, as `npm start` and `npm run demo` run it: finds or starts
// Kafka (scripts/kafka) and Postgres (local server, else embedded), then the four compiled
// services (each migrates its own schema at boot). A service that exits on its own is started
// again, with backoff and a bound (tools/local-infra Supervisor); only when it has used up its
// restarts is the caller told. stop() may be called at any time, also while start() is still on
// its way, and stops only what this process started, services first.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import localInfra from '@touchstream/local-infra';

const { REPO_ROOT, Supervisor, provideKafka, providePostgres, serviceNodeFlags, stopAll } = localInfra;

export const SERVICES = [
  { name: 'ingest', portVariable: 'INGEST_PORT', port: 3000 },
  { name: 'identity', portVariable: 'IDENTITY_PORT', port: 3001 },
  { name: 'attribution', portVariable: 'ATTRIBUTION_PORT', port: 3002 },
  { name: 'segment-sink', portVariable: 'SINK_PORT', port: 3003 },
];

/** Where the services write (DATA_DIR) when the environment names no folder: the git-ignored .cache/. */
export const DEFAULT_DATA_DIR = resolve(REPO_ROOT, '.cache');

export class LocalPipeline {
  /**
   * @param {object} options
   * @param {(line: string) => void} options.log
   * @param {Record<string, string>} [options.env] set for the services over the environment
   * @param {'inherit' | number} [options.output] where the services' stdout and stderr go (a file descriptor, or this terminal)
   * @param {(service: string, reason: string) => void} [options.onUnexpectedExit] a service kept exiting: it used up its restarts
   * @param {import('@touchstream/local-infra').RestartPolicy} [options.restartPolicy] how often and how soon a service that exits is started again
   */
  constructor({ log, env = {}, output = 'inherit', onUnexpectedExit = () => undefined, restartPolicy }) {
    this.log = log;
    this.extraEnv = env;
    this.output = output;
    /** Kafka and Postgres when this process started them. */
    this.started = [];
    /** name -> port of every service started */
    this.ports = new Map();
    this.supervisor = new Supervisor({ log, onGiveUp: onUnexpectedExit, policy: restartPolicy });
    this.stopping = false;
    /** Secrets made up for this run because the environment had none (DEBUG_TOKEN, ADMIN_TOKEN, INGEST_WRITE_KEYS). */
    this.generated = {};
    this.env = {};
  }

  async start() {
    const kafka = await provideKafka(this.log);
    if (kafka.started) this.started.push(kafka.started);
    const postgres = await providePostgres('touchstream', this.log);
    if (postgres.started) this.started.push(postgres.started);
    // stop() came while Kafka or Postgres were starting: it could not stop them then.
    if (this.stopping) return stopAll(this.started, this.log);

    if (!process.env.DEBUG_TOKEN) this.generated.DEBUG_TOKEN = randomBytes(24).toString('hex');
    if (!process.env.ADMIN_TOKEN) this.generated.ADMIN_TOKEN = randomBytes(24).toString('hex');
    if (!process.env.INGEST_WRITE_KEYS) this.generated.INGEST_WRITE_KEYS = `dev-${randomBytes(12).toString('hex')}`;
    this.env = {
      DATA_DIR: DEFAULT_DATA_DIR,
      ...process.env,
      KAFKA_BROKERS: kafka.value,
      DATABASE_URL: postgres.value,
      ...this.generated,
      ...this.extraEnv,
    };

    for (const service of SERVICES) {
      const entry = resolve(REPO_ROOT, 'services', service.name, 'dist', 'main.js');
      if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build"`);
      const port = process.env[service.portVariable] ?? String(service.port);
      this.ports.set(service.name, port);
      this.supervisor.start({
        name: service.name,
        command: process.execPath,
        args: [...serviceNodeFlags(service.name), entry],
        env: { ...this.env, [service.portVariable]: port },
        stdio: ['ignore', this.output, this.output],
      });
    }
    await Promise.all([...this.ports].map(([name, port]) => this.waitReady(name, port)));
  }

  /** name -> base URL of every service. */
  urls() {
    return Object.fromEntries([...this.ports].map(([name, port]) => [name, `http://127.0.0.1:${port}`]));
  }

  get writeKey() {
    return this.env.INGEST_WRITE_KEYS?.split(',')[0];
  }

  get dryRunFile() {
    // As the sink resolves it (services/segment-sink/src/config.ts).
    return resolve(this.env.DATA_DIR || DEFAULT_DATA_DIR, this.env.SINK_DRY_RUN_FILE || 'segment-dry-run.ndjson');
  }

  async waitReady(name, port) {
    // Long enough for a service that exits at boot to be restarted (Supervisor) and come up.
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (this.stopping) return;
      try {
        const response = await fetch(`http://127.0.0.1:${port}/ready`);
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${name} did not become ready on port ${port} within 300 s`);
      await new Promise((done) => setTimeout(done, 250));
    }
  }

  async stop() {
    if (this.stopping) return;
    this.stopping = true;
    if (this.ports.size > 0) this.log('stopping services');
    await this.supervisor.stop();
    await stopAll(this.started, this.log);
  }
}

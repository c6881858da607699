import { execFile } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { ensureDatabase } from '@touchstream/database';
import { freePort, kafkaScript, portAnswers, REPO_ROOT } from '@touchstream/local-infra';

const run = promisify(execFile);
const POSTGRES_BIN = process.env.POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';
/** Everything the fault suite creates lives here (git-ignored), one directory per port. */
export const FAULTS_CACHE = resolve(REPO_ROOT, '.cache', 'faults');

/** Two free ports, different: the broker's client port and its KRaft controller port. */
async function twoFreePorts(): Promise<[number, number]> {
  const first = await freePort();
  for (;;) {
    const second = await freePort();
    if (second !== first) return [first, second];
  }
}

/**
 * A broker of the fault suite's own, run by scripts/kafka on free ports, that the suite may stop,
 * start again and wipe. Never the shared broker: its run directory is .cache/kafka/run-<port>/.
 */
export class ThrowawayBroker {
  constructor(
    readonly port: number,
    readonly controllerPort: number,
  ) {}

  static async create(): Promise<ThrowawayBroker> {
    const [port, controllerPort] = await twoFreePorts();
    return new ThrowawayBroker(port, controllerPort);
  }

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The variables that point scripts/kafka (and `npm start`) at this broker. */
  get env(): Record<string, string> {
    return { KAFKA_PORT: String(this.port), KAFKA_CONTROLLER_PORT: String(this.controllerPort) };
  }

  async start(): Promise<void> {
    // Recorded first: a run killed before its teardown leaves the broker for the next run to stop.
    mkdirSync(FAULTS_CACHE, { recursive: true });
    writeFileSync(
      resolve(FAULTS_CACHE, `broker-${this.port}.json`),
      JSON.stringify({ port: this.port, controllerPort: this.controllerPort }),
    );
    await kafkaScript('start', this.port, this.env);
  }

  async stop(): Promise<void> {
    await kafkaScript('stop', this.port, this.env);
  }

  /** Deletes the stopped broker's data (topics, offsets, consumer groups), as `scripts/kafka reset` does for an operator. */
  async wipe(): Promise<void> {
    await kafkaScript('reset', this.port, this.env);
  }

  async answers(): Promise<boolean> {
    return portAnswers(this.port);
  }

  /** Stops it and deletes its run directory. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(resolve(REPO_ROOT, '.cache', 'kafka', `run-${this.port}`), { recursive: true, force: true });
    rmSync(resolve(FAULTS_CACHE, `broker-${this.port}.json`), { force: true });
  }
}

/**
 * A PostgreSQL cluster of the fault suite's own (initdb/pg_ctl of the local PostgreSQL 15
 * binaries) on a free port under .cache/faults/, that the suite may stop and start again. As root
 * the binaries run as the `postgres` user: initdb refuses to run as root.
 */
export class ThrowawayPostgres {
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async create(): Promise<ThrowawayPostgres> {
    const port = await freePort();
    const postgres = new ThrowawayPostgres(port, resolve(FAULTS_CACHE, `postgres-${port}`));
    await postgres.init();
    return postgres;
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async createDatabase(database: string): Promise<string> {
    const url = this.url(database);
    await ensureDatabase(url);
    return url;
  }

  private get dataDir(): string {
    return resolve(this.dir, 'data');
  }

  private async pg(binary: string, args: string[]): Promise<void> {
    const command = resolve(POSTGRES_BIN, binary);
    if (userInfo().uid === 0) await run('runuser', ['-u', 'postgres', '--', command, ...args], { cwd: this.dir });
    else await run(command, args, { cwd: this.dir });
  }

  private async init(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    if (userInfo().uid === 0) {
      // The postgres user must own the cluster and reach it through the repository's directories.
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: group } = await run('id', ['-g', 'postgres']);
      chownSync(this.dir, Number(stdout.trim()), Number(group.trim()));
      chmodSync(this.dir, 0o700);
    }
    await this.pg('initdb', ['-D', this.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    // Loopback only, its own socket directory; durability settings stay the defaults the services rely on.
    appendFileSync(
      resolve(this.dataDir, 'postgresql.conf'),
      `\nport = ${this.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${this.dir}'\nmax_connections = 100\n`,
    );
  }

  async start(): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-l', resolve(this.dir, 'server.log'), '-w', '-t', '60', 'start']);
  }

  /** Fast shutdown: open connections are cut, as in a failover or a restart by the operator. */
  async stop(): Promise<void> {
    if (!existsSync(resolve(this.dataDir, 'postmaster.pid'))) return;
    await this.pg('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Stops and deletes what an earlier run of this checkout left behind when it was killed before its
 * teardown (Ctrl-C, a timeout): its brokers and Postgres clusters. One fault run per checkout at a time.
 */
export async function reapLeftovers(log: (line: string) => void): Promise<void> {
  if (!existsSync(FAULTS_CACHE)) return;
  for (const entry of readdirSync(FAULTS_CACHE)) {
    const broker = /^broker-(\d+)\.json$/.exec(entry);
    if (broker) {
      const { port, controllerPort } = JSON.parse(readFileSync(resolve(FAULTS_CACHE, entry), 'utf8')) as {
        port: number;
        controllerPort: number;
      };
      log(`stopping and deleting the broker an earlier run left on ${port}`);
      await new ThrowawayBroker(port, controllerPort).destroy();
    }
    const postgres = /^postgres-(\d+)$/.exec(entry);
    if (postgres) {
      log(`stopping and deleting the Postgres cluster an earlier run left on ${postgres[1]}`);
      await new ThrowawayPostgres(Number(postgres[1]), resolve(FAULTS_CACHE, entry)).destroy();
    }
  }
}

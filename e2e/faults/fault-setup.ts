import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { reapLeftovers, ThrowawayBroker, ThrowawayPostgres } from './throwaway-infrastructure';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    databaseUrl: string;
    faultBroker: { port: number; controllerPort: number };
    faultPostgres: { port: number; dir: string };
  }
}

/**
 * The fault suite's own broker and Postgres, on free ports: the faults stop, wipe and restart
 * them, so they can never be the shared ones (KAFKA_BROKERS and DATABASE_URL are ignored here).
 * Handed to the spec as the usual kafkaBrokers and databaseUrl, so e2e/src's Pipeline runs on them
 * unchanged, plus what the spec needs to rebuild their controls.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stdout.write(`[fault infrastructure] ${line}\n`);
  await reapLeftovers(log);
  const broker = await ThrowawayBroker.create();
  const postgres = await ThrowawayPostgres.create();
  const teardown = async () => {
    log(`stopping and deleting the broker on ${broker.port} and Postgres on ${postgres.port}`);
    await broker.destroy();
    await postgres.destroy();
  };
  try {
    log(`starting a broker on 127.0.0.1:${broker.port} (controller ${broker.controllerPort})`);
    await broker.start();
    log(`starting PostgreSQL on 127.0.0.1:${postgres.port} in ${postgres.dir}`);
    await postgres.start();
    project.provide('kafkaBrokers', broker.brokers);
    project.provide('databaseUrl', await postgres.createDatabase('touchstream_faults'));
    project.provide('faultBroker', { port: broker.port, controllerPort: broker.controllerPort });
    project.provide('faultPostgres', { port: postgres.port, dir: postgres.dir });
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

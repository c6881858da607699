import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { provideKafka, providePostgres, type Started } from './infrastructure';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    databaseUrl: string;
  }
}

/**
 * Runs once before the integration tests: finds or starts a real broker and a real Postgres,
 * hands their addresses to the spec files, and stops only what it started itself.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stdout.write(`[test infrastructure] ${line}\n`);
  const started: Started[] = [];
  try {
    const kafka = await provideKafka(log);
    if (kafka.started) started.push(kafka.started);
    const postgres = await providePostgres(log);
    if (postgres.started) started.push(postgres.started);
    project.provide('kafkaBrokers', kafka.brokers);
    project.provide('databaseUrl', postgres.url);
  } catch (error) {
    await stopAll(started, log);
    throw error;
  }
  return () => stopAll(started, log);
}

async function stopAll(started: Started[], log: (line: string) => void): Promise<void> {
  for (const thing of started.reverse()) {
    log(`stopping ${thing.description}`);
    await thing.stop();
  }
}

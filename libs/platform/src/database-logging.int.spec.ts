import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataSource } from '@touchstream/database';
import { Logger } from '@touchstream/logging';
import { testInfrastructure } from '@touchstream/testing';
import type { DataSource } from 'typeorm';

describe("TypeORM's logging on a real Postgres", () => {
  const EMAIL = 'jane.doe@example.com';
  const URL_WITH_ID = 'https://www.example.com/welcome?anonymous=anon-7f3a';
  const lines: string[] = [];
  const printed: string[] = [];
  let dataSource: DataSource;
  let restore: () => void;

  beforeAll(async () => {
    const logger = new Logger({ service: 'logging-probe', level: 'debug', sink: { write: (line) => void lines.push(line) } });
    dataSource = createDataSource({ url: testInfrastructure().databaseUrl, schema: 'public', poolSize: 1 }, [], logger);
    await dataSource.initialize();
    // Whatever reaches the process's stdout or console while the queries fail.
    const write = process.stdout.write.bind(process.stdout);
    const log = console.log;
    const error = console.error;
    process.stdout.write = (chunk: string | Uint8Array) => printed.push(String(chunk)) > 0;
    console.log = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
    console.error = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
    restore = () => {
      process.stdout.write = write;
      console.log = log;
      console.error = error;
    };
  });

  afterAll(async () => {
    restore?.();
    await dataSource?.destroy();
  });

  it('logs a failed query as one JSON line through the service logger, without its parameters or the values Postgres quotes', async () => {
    await expect(dataSource.query('SELECT $1::int AS user_id, $2::text AS url', [EMAIL, URL_WITH_ID])).rejects.toThrow();
    await expect(dataSource.query('SELECT $1::uuid', ['anon\u0000x'])).rejects.toThrow();
    restore();
    const failed = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'query failed');
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({
      level: 'warn',
      service: 'logging-probe',
      component: 'typeorm',
      sqlState: '22P02',
      query: 'SELECT $1::int AS user_id, $2::text AS url',
      parameterCount: 2,
      errorMessage: 'invalid input syntax for type integer: "[redacted]"',
    });
    expect(failed[1]).toMatchObject({ sqlState: '22021', parameterCount: 1 });
    const everything = [...lines, ...printed].join('\n');
    for (const secret of [EMAIL, 'jane.doe', URL_WITH_ID, 'anon-7f3a']) expect(everything).not.toContain(secret);
    expect(printed).toEqual([]);
  });
});

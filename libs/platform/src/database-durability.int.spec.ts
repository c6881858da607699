import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataSource, readServerSettings, serverSettingWarnings } from '@touchstream/database';
import { testInfrastructure } from '@touchstream/testing';

describe("the services' Postgres sessions on a database that turns durable commits off", () => {
  // A throw-away database whose default is synchronous_commit=off: what a speed-tuned server or
  // database may set. The services' sessions must commit durably anyway (their Kafka offsets
  // follow their commits).
  const database = `touchstream_durability_${randomBytes(4).toString('hex')}`;
  let admin: Client;
  let url: string;

  beforeAll(async () => {
    admin = new Client({ connectionString: testInfrastructure().databaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.query(`ALTER DATABASE ${database} SET synchronous_commit = off`);
    const target = new URL(testInfrastructure().databaseUrl);
    target.pathname = `/${database}`;
    url = target.toString();
  });

  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('a plain session gets the database default, and the boot check names it', async () => {
    const plain = new Client({ connectionString: url });
    await plain.connect();
    try {
      const settings = await readServerSettings(async (sql) => (await plain.query<{ name: string; setting: string }>(sql)).rows);
      expect(settings.synchronous_commit).toBe('off');
      expect(serverSettingWarnings(settings).map((warning) => warning.setting)).toContain('synchronous_commit');
    } finally {
      await plain.end();
    }
  });

  it("a service's DataSource commits durably and without JIT whatever the database says", async () => {
    const dataSource = createDataSource({ url, schema: 'durability_probe', poolSize: 1 }, []);
    await dataSource.initialize();
    try {
      const settings = await readServerSettings((sql) => dataSource.query(sql));
      expect(settings.synchronous_commit).toBe('on');
      expect(serverSettingWarnings(settings).map((warning) => warning.setting)).not.toContain('synchronous_commit');
      expect(await dataSource.query('SHOW jit')).toEqual([{ jit: 'off' }]);
    } finally {
      await dataSource.destroy();
    }
  });
});

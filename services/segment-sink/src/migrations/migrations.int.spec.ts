import { describe, it } from 'vitest';
import { expectMigrationsApplyAndRevert, testInfrastructure, testNamespace } from '@touchstream/testing';
import { segmentSinkMigrations } from '.';

describe('segment-sink migrations on the real Postgres', () => {
  it('create the schema, revert cleanly and apply again', async () => {
    const { schema } = testNamespace('segment-sink-migrations');
    await expectMigrationsApplyAndRevert(testInfrastructure().databaseUrl, schema, segmentSinkMigrations, [
      'consumer_positions',
      'outbox',
      'subject_facts',
      'tracked_touches',
    ]);
  });
});

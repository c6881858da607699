import { describe, it } from 'vitest';
import { expectMigrationsApplyAndRevert, testInfrastructure, testNamespace } from '@touchstream/testing';
import { attributionMigrations } from '.';

describe('attribution migrations on the real Postgres', () => {
  it('create the schema, revert cleanly and apply again', async () => {
    const { schema } = testNamespace('attribution-migrations');
    await expectMigrationsApplyAndRevert(testInfrastructure().databaseUrl, schema, attributionMigrations, [
      'consumer_positions',
      'links',
      'outbox',
      'outbox_dead_letters',
      'page_views',
      'replay_baseline_subjects',
      'replay_baseline_touches',
      'replay_fences',
      'subjects',
      'touches',
    ]);
  });
});

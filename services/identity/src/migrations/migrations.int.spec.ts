import { describe, it } from 'vitest';
import { expectMigrationsApplyAndRevert, testInfrastructure, testNamespace } from '@touchstream/testing';
import { identityMigrations } from '.';

describe('identity migrations on the real Postgres', () => {
  it('create the schema, revert cleanly and apply again', async () => {
    const { schema } = testNamespace('identity-migrations');
    await expectMigrationsApplyAndRevert(testInfrastructure().databaseUrl, schema, identityMigrations, [
      'conflicts',
      'consumer_positions',
      'links',
      'outbox',
      'outbox_dead_letters',
      'replay_baseline_links',
      'replay_fences',
      'seen_ids',
      'timeline',
      'traits',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { serverSettingWarnings } from './server-settings';

const safe = { fsync: 'on', full_page_writes: 'on', synchronous_commit: 'on', autovacuum: 'on', track_counts: 'on' };

describe('serverSettingWarnings', () => {
  it('says nothing about a server with the defaults', () => {
    expect(serverSettingWarnings(safe)).toEqual([]);
    expect(serverSettingWarnings({ ...safe, synchronous_commit: 'local' })).toEqual([]);
  });

  it('names each setting that trades durability away, with its value', () => {
    const warnings = serverSettingWarnings({ ...safe, fsync: 'off', full_page_writes: 'off', synchronous_commit: 'off' });
    expect(warnings.map(({ setting, value }) => [setting, value])).toEqual([
      ['fsync', 'off'],
      ['full_page_writes', 'off'],
      ['synchronous_commit', 'off'],
    ]);
    expect(warnings[0]?.consequence).toMatch(/Kafka offsets/);
  });

  it('warns once when nothing vacuums or analyzes the tables', () => {
    expect(serverSettingWarnings({ ...safe, autovacuum: 'off' })).toEqual([
      { setting: 'autovacuum', value: 'off', consequence: expect.stringMatching(/VACUUM ANALYZE/) },
    ]);
    expect(serverSettingWarnings({ ...safe, track_counts: 'off' }).map((warning) => warning.setting)).toEqual(['track_counts']);
    expect(serverSettingWarnings({ ...safe, autovacuum: 'OFF', track_counts: 'off' })).toHaveLength(1);
  });

  it('ignores settings it was not given', () => {
    expect(serverSettingWarnings({})).toEqual([]);
  });
});

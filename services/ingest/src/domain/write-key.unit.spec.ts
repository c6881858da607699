import { describe, expect, it } from 'vitest';
import { checkWriteKey, writeKeyFromHeader } from './write-key';

const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

describe('writeKeyFromHeader', () => {
  it('reads the write key as the Basic-auth user name, with or without a password', () => {
    expect(writeKeyFromHeader(basic('abc123:'))).toEqual({ kind: 'key', key: 'abc123' });
    expect(writeKeyFromHeader(basic('abc123:ignored'))).toEqual({ kind: 'key', key: 'abc123' });
    expect(writeKeyFromHeader(basic('abc123'))).toEqual({ kind: 'key', key: 'abc123' });
    expect(writeKeyFromHeader(`basic   ${Buffer.from('k:').toString('base64')}`)).toEqual({ kind: 'key', key: 'k' });
  });

  it('tells an absent header from a malformed one', () => {
    expect(writeKeyFromHeader(undefined)).toEqual({ kind: 'absent' });
    expect(writeKeyFromHeader('')).toEqual({ kind: 'absent' });
    expect(writeKeyFromHeader('Bearer abc')).toEqual({ kind: 'malformed' });
    expect(writeKeyFromHeader(basic(':password-only'))).toEqual({ kind: 'malformed' });
    expect(writeKeyFromHeader('Basic not base64!')).toEqual({ kind: 'malformed' });
  });
});

describe('checkWriteKey', () => {
  it('accepts any configured key and refuses others', () => {
    expect(checkWriteKey('b', ['a', 'b'])).toEqual({ ok: true });
    expect(checkWriteKey('c', ['a', 'b'])).toEqual({ ok: false, message: 'unknown write key' });
    expect(checkWriteKey('a-longer-key', ['a'])).toEqual({ ok: false, message: 'unknown write key' });
  });

  it('says how to send a key when none came, and how to configure one when none is set', () => {
    expect(checkWriteKey(undefined, ['a'])).toMatchObject({
      ok: false,
      message: expect.stringContaining('HTTP Basic auth with the write key'),
    });
    expect(checkWriteKey('a', [])).toMatchObject({ ok: false, message: expect.stringContaining('set INGEST_WRITE_KEYS') });
  });
});

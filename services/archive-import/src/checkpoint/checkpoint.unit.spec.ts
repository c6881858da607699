import { describe, expect, it } from 'vitest';
import { advance, decideResume, parseCheckpoint, type Checkpoint } from './checkpoint';

const target = { topic: 'p.segment.events.raw.v1', since: null, until: null };
const fingerprint = { size: 1000, mtimeMs: 1_700_000_000_000 };
const checkpoint: Checkpoint = {
  version: 1,
  file: '/data/a.ndjson.gz',
  fingerprint,
  target,
  format: 'ndjson',
  compression: 'gzip',
  offset: 500,
  line: 40,
  records: 38,
  imported: 36,
  rejected: 1,
  filtered: 1,
  complete: false,
  updatedAt: '2024-01-01T00:00:00.000Z',
};

describe('decideResume', () => {
  it('starts without a checkpoint or with --restart', () => {
    expect(decideResume(undefined, { fingerprint, target }, { restart: false })).toEqual({ action: 'start' });
    expect(decideResume(checkpoint, { fingerprint, target }, { restart: true })).toEqual({ action: 'start' });
  });

  it('resumes the same file into the same topic, and skips a finished one', () => {
    expect(decideResume(checkpoint, { fingerprint, target }, { restart: false })).toEqual({ action: 'resume', from: checkpoint });
    expect(decideResume({ ...checkpoint, complete: true }, { fingerprint, target }, { restart: false })).toMatchObject({ action: 'skip' });
  });

  it('refuses to trust an offset into changed content or a different target', () => {
    expect(decideResume(checkpoint, { fingerprint: { ...fingerprint, size: 1001 }, target }, { restart: false })).toMatchObject({
      action: 'refuse',
      reason: expect.stringContaining('the file changed'),
    });
    expect(decideResume(checkpoint, { fingerprint: { ...fingerprint, mtimeMs: 1 }, target }, { restart: false })).toMatchObject({
      action: 'refuse',
    });
    expect(
      decideResume(checkpoint, { fingerprint, target: { ...target, topic: 'other.segment.events.raw.v1' } }, { restart: false }),
    ).toMatchObject({
      action: 'refuse',
      reason: expect.stringContaining('--restart'),
    });
    expect(decideResume(checkpoint, { fingerprint, target: { ...target, since: '2024-01-01' } }, { restart: false })).toMatchObject({
      action: 'refuse',
    });
  });
});

describe('advance', () => {
  it('moves to the end of the acknowledged batch and adds its counts', () => {
    const next = advance(
      checkpoint,
      { end: 900, line: 80, records: 40, imported: 39, rejected: 1, filtered: 0 },
      new Date('2024-01-02T00:00:00Z'),
    );
    expect(next).toMatchObject({
      offset: 900,
      line: 80,
      records: 78,
      imported: 75,
      rejected: 2,
      filtered: 1,
      updatedAt: '2024-01-02T00:00:00.000Z',
      complete: false,
    });
    expect(checkpoint.offset).toBe(500);
  });
});

describe('parseCheckpoint', () => {
  it('reads back what it wrote and ignores anything else', () => {
    expect(parseCheckpoint(JSON.stringify(checkpoint))).toEqual(checkpoint);
    expect(parseCheckpoint('{"version":2}')).toBeUndefined();
    expect(parseCheckpoint('{not json')).toBeUndefined();
  });
});

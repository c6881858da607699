import { describe, expect, it } from 'vitest';
import { parseReplayArgs, REPLAY_HELP, ReplayUsageError, wantsReplayHelp } from './replay-cli';

describe('npm run replay arguments', () => {
  it('replays every service from the earliest offsets by default', () => {
    expect(parseReplayArgs([])).toEqual({ from: 'earliest', services: ['identity', 'attribution', 'segment-sink'], timeoutMinutes: 120 });
  });

  it('takes the services in pipeline order, each once, "sink" naming the segment sink', () => {
    expect(parseReplayArgs(['--services', 'sink, attribution,segment-sink']).services).toEqual(['attribution', 'segment-sink']);
  });

  it('reads a date as midnight UTC and a date-time with its offset', () => {
    expect(parseReplayArgs(['--from', '2026-03-01']).from).toBe('2026-03-01T00:00:00.000Z');
    expect(parseReplayArgs(['--from=2026-03-01T10:30:00+02:00']).from).toBe('2026-03-01T08:30:00.000Z');
    expect(parseReplayArgs(['--from', '2026-03-01T10:30Z']).from).toBe('2026-03-01T10:30:00.000Z');
  });

  it.each([
    [['--services', 'identity,billing'], 'unknown service "billing" (choose from identity, attribution, sink)'],
    [['--services', ' , '], '--services names no service'],
    [['--from', 'yesterday'], '--from must be "earliest" or an ISO-8601 date'],
    [['--from', '2026-02-30'], 'not "2026-02-30"'],
    // Local time would depend on the machine the command runs on.
    [['--from', '2026-03-01T10:30:00'], 'not "2026-03-01T10:30:00"'],
    [['--timeout-minutes', '0'], '--timeout-minutes must be a positive number'],
    [['--form', 'earliest'], "Unknown option '--form'"],
    [['attribution'], 'usage: npm run replay --'],
  ])('refuses %j with a message that says why', (argv, message) => {
    expect(() => parseReplayArgs(argv)).toThrow(ReplayUsageError);
    expect(() => parseReplayArgs(argv)).toThrow(message);
  });

  it('recognises --help and -h anywhere, and its help names every option parseReplayArgs takes', () => {
    expect(wantsReplayHelp(['--from', 'earliest', '--help'])).toBe(true);
    expect(wantsReplayHelp(['-h'])).toBe(true);
    expect(wantsReplayHelp(['--from', 'earliest'])).toBe(false);
    for (const option of ['--from', '--services', '--timeout-minutes']) expect(REPLAY_HELP).toContain(option);
    expect(() => parseReplayArgs(['--help'])).toThrow(ReplayUsageError);
  });
});

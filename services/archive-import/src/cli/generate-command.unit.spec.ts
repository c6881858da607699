import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSegmentEvent, type SegmentEvent } from '@touchstream/contracts';
import { generateArchive } from '@touchstream/synthetic-data';
import { CsvSplitter } from '../formats/csv';
import { processRecords } from '../pipeline/process-records';
import { runGenerateCommand } from './generate-command';
import { capturedIo } from '../testing/captured-io';

describe('generate command', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'touchstream-generate-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes byte-identical gzipped archives for the same seed, different ones for another seed', async () => {
    const run = async (name: string, seed: string, extra: string[] = []) => {
      const out = join(dir, name);
      const streams = capturedIo();
      expect(await runGenerateCommand(['--users', '150', '--days', '14', '--seed', seed, '--out', out, ...extra], streams)).toBe(0);
      expect(streams.text()).toMatch(/^wrote [\d,]+ events/);
      return readFile(out);
    };
    const first = await run('a.ndjson.gz', 's1');
    const second = await run('b.ndjson.gz', 's1');
    expect(first[0]).toBe(0x1f);
    expect(first.equals(second)).toBe(true);
    expect(first.equals(await run('c.ndjson.gz', 's2'))).toBe(false);
    const lines = gunzipSync(first).toString('utf8').trimEnd().split('\n');
    const expected = [...generateArchive({ users: 150, days: 14, seed: 's1' }).events()].map((event) => JSON.stringify(event));
    expect(lines).toEqual(expected);
    const shuffled = (await run('d.ndjson', 's1', ['--format', 'ndjson', '--shuffle', '--shuffle-window', '500']))
      .toString('utf8')
      .trimEnd()
      .split('\n');
    expect(shuffled).not.toEqual(expected);
    expect([...shuffled].sort()).toEqual([...expected].sort());
    expect((await readdir(dir)).some((name) => name.endsWith('.partial'))).toBe(false);
  });

  it('writes a warehouse export that the CSV import maps back to the same events', async () => {
    const out = join(dir, 'warehouse');
    expect(await runGenerateCommand(['--users', '60', '--days', '7', '--seed', 'csv', '--format', 'csv', '--out', out], capturedIo())).toBe(
      0,
    );
    const originals = new Map([...generateArchive({ users: 60, days: 7, seed: 'csv' }).events()].map((event) => [event.messageId, event]));
    let seen = 0;
    for (const table of ['pages', 'identifies', 'tracks']) {
      const path = join(out, `${table}.csv`);
      const splitter = new CsvSplitter(path);
      const records = [...splitter.push(await readFile(path)), ...splitter.end()];
      const result = processRecords(records, { channel: path, now: new Date(), window: {}, csv: splitter.headerInfo() });
      expect(result.rejections).toEqual([]);
      for (const message of result.accepted) {
        const event = JSON.parse(String(message.value)).data.event as SegmentEvent;
        const original = originals.get(event.messageId) as SegmentEvent;
        expect(validateSegmentEvent(event).ok).toBe(true);
        expect(event).toMatchObject({
          type: original.type,
          anonymousId: original.anonymousId,
          timestamp: original.timestamp,
          receivedAt: original.receivedAt,
        });
        expect(event.userId ?? null).toBe(original.userId ?? null);
        expect(event.context?.page).toEqual(
          Object.fromEntries(Object.entries(original.context?.page ?? {}).filter(([, value]) => value !== '')),
        );
        expect(event.context?.campaign).toEqual(original.context?.campaign);
        if (event.type === 'track' && original.type === 'track') expect(event.event).toBe(original.event);
        if (event.type === 'identify' && original.type === 'identify') expect(event.traits?.email).toBe(original.traits?.email);
        seen++;
      }
    }
    expect(seen).toBe(originals.size);
  });

  it('writes the ground truth per person beside the archive', async () => {
    const truth = join(dir, 'truth.ndjson');
    expect(
      await runGenerateCommand(
        ['--users', '40', '--days', '5', '--seed', 't', '--out', join(dir, 't.ndjson.gz'), '--truth', truth],
        capturedIo(),
      ),
    ).toBe(0);
    const people = (await readFile(truth, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { person: number; userId: string | null; firstTouch: { channel: string } | null });
    expect(people).toEqual(JSON.parse(JSON.stringify([...generateArchive({ users: 40, days: 5, seed: 't' }).people()])));
    expect(people.some((person) => person.userId && person.firstTouch?.channel)).toBe(true);
  });

  it('refuses bad options with exit code 2', async () => {
    const streams = capturedIo();
    expect(await runGenerateCommand(['--users', '0', '--days', '1', '--seed', 'x'], streams)).toBe(2);
    expect(streams.errors()).toMatch(/--users/);
    expect(await runGenerateCommand(['--days', '1', '--seed', 'x'], capturedIo())).toBe(2);
  });

  it('refuses a directory or an existing file as --out in one line with exit code 2, and writes nothing', async () => {
    const folder = join(dir, 'a-folder');
    await mkdir(folder);
    const existing = join(dir, 'existing.ndjson.gz');
    await writeFile(existing, 'keep me');
    for (const [out, message] of [
      [folder, `error: --out ${folder} is a directory: give the file to write, e.g. ${join(folder, 'archive.ndjson.gz')}\n`],
      [existing, `error: --out ${existing} already exists: choose another name or remove it first\n`],
    ] as const) {
      const streams = capturedIo();
      expect(await runGenerateCommand(['--users', '5', '--days', '1', '--seed', 'x', '--out', out], streams)).toBe(2);
      expect(streams.errors()).toBe(message);
    }
    expect(await readFile(existing, 'utf8')).toBe('keep me');
    const streams = capturedIo();
    expect(
      await runGenerateCommand(['--users', '5', '--days', '1', '--seed', 'x', '--out', join(dir, 'n.gz'), '--truth', existing], streams),
    ).toBe(2);
    expect(streams.errors()).toMatch(/^error: --truth .* already exists/);
  });

  it('resolves a relative --out against the directory the command was run from (INIT_CWD under npm run)', async () => {
    const from = join(dir, 'caller');
    await mkdir(from);
    const streams = capturedIo();
    const code = await runGenerateCommand(['--users', '5', '--days', '1', '--seed', 'x', '--out', 'rel.ndjson'], {
      ...streams,
      env: { INIT_CWD: from },
    });
    expect(code).toBe(0);
    expect(streams.text()).toContain(`to ${join(from, 'rel.ndjson')} in`);
    expect((await readFile(join(from, 'rel.ndjson'), 'utf8')).length).toBeGreaterThan(0);
  });

  it('reports progress on stderr as it goes', async () => {
    const streams = capturedIo();
    const out = join(dir, 'progress.ndjson');
    expect(
      await runGenerateCommand(['--users', '400', '--days', '5', '--seed', 'p', '--format', 'ndjson', '--out', out], {
        ...streams,
        progressIntervalMs: 0,
      }),
    ).toBe(0);
    expect(streams.errors()).toMatch(/^generate: [\d,]+ events written in \d+ s/m);
  });

  it('marks its required options as required in --help', async () => {
    const streams = capturedIo();
    expect(await runGenerateCommand(['--help'], streams)).toBe(0);
    for (const option of ['--users', '--days', '--seed'])
      expect(streams.text()).toMatch(new RegExp(`${option} <[a-z]+>\\s+\\(required\\)`));
  });
});

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createGzip } from 'node:zlib';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  csvLine,
  generateArchive,
  toWarehouseRow,
  WAREHOUSE_COLUMNS,
  type ArchiveOrder,
  type WarehouseTableName,
} from '@touchstream/synthetic-data';
import { formatCount } from '../progress/stats';
import type { CommandIo } from './import-command';
import { outputProblem, userPath } from './user-paths';

export type ArchiveFormat = 'ndjson.gz' | 'ndjson' | 'csv';

interface GenerateFlags {
  users: number;
  days: number;
  seed: string;
  out?: string;
  format: ArchiveFormat;
  shuffle: boolean;
  shuffleWindow: number;
  start?: string;
  signUpRate: number;
  truth?: string;
}

function positive(max: number) {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) throw new InvalidArgumentError(`must be an integer from 1 to ${max}`);
    return parsed;
  };
}

function rate(value: string): number {
  const parsed = Number(value);
  if (!(parsed >= 0 && parsed <= 1)) throw new InvalidArgumentError('must be between 0 and 1');
  return parsed;
}

export function buildGenerateCommand(): Command {
  return new Command('generate')
    .description(
      'Write a realistic, deterministic Segment archive (S3-style NDJSON, gzipped by default): visitors from search, ads, social, email, AI assistants, referrals and direct, several devices each, sign-ups with identify.',
    )
    .requiredOption('--users <n>', '(required) people who visit (about a third sign up)', positive(10_000_000))
    .requiredOption('--days <n>', '(required) days the first visits are spread over', positive(3_650))
    .requiredOption('--seed <seed>', '(required) the same seed always writes the same bytes')
    .option(
      '--out <file>',
      'output file, relative to the directory you run the command from; never overwritten (default: archive-<users>u-<days>d-<seed>.<format> there)',
    )
    .addOption(
      new Option(
        '--format <format>',
        'ndjson.gz and ndjson: one file like S3; csv: a folder with pages.csv, identifies.csv and tracks.csv like a warehouse export',
      )
        .choices(['ndjson.gz', 'ndjson', 'csv'])
        .default('ndjson.gz'),
    )
    .option('--shuffle', 'stir the time order within a window, as real archives are not sorted', false)
    .option('--shuffle-window <events>', 'how far --shuffle moves events', positive(1_000_000), 10_000)
    .option('--start <date>', 'first day (ISO-8601, default 2024-01-01)')
    .option('--sign-up-rate <rate>', 'share of people who sign up', rate, 0.35)
    .option('--truth <file>', 'also write the ground truth per person (NDJSON): linked devices, every visit, expected first touch');
}

async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function finish(stream: NodeJS.WritableStream): Promise<void> {
  const done = once(stream, 'finish');
  stream.end();
  await done;
}

/**
 * A file written through a temporary name and renamed when complete: a killed run leaves no
 * half archive behind (the benchmark caches archives by name). Lines are buffered into large
 * writes: a write per event costs more than the event.
 */
class LineFile {
  private readonly temporary: string;
  private readonly file;
  private readonly closed: Promise<unknown>;
  private readonly target: NodeJS.WritableStream;
  private buffered = '';
  lines = 0;

  constructor(
    private readonly path: string,
    gzip: boolean,
  ) {
    this.temporary = `${path}.partial`;
    this.file = createWriteStream(this.temporary);
    this.closed = once(this.file, 'close');
    if (gzip) {
      const compressor = createGzip({ level: 6 });
      compressor.pipe(this.file);
      this.target = compressor;
    } else this.target = this.file;
  }

  async add(line: string): Promise<void> {
    this.buffered += `${line}\n`;
    this.lines++;
    if (this.buffered.length >= 256 * 1024) await this.flush();
  }

  private async flush(): Promise<void> {
    const text = this.buffered;
    this.buffered = '';
    if (text) await write(this.target, text);
  }

  async close(): Promise<void> {
    await this.flush();
    await finish(this.target);
    await this.closed;
    await rename(this.temporary, this.path);
  }

  async abandon(): Promise<void> {
    this.file.destroy();
    await rm(this.temporary, { force: true });
  }
}

async function writeLines(path: string, gzip: boolean, lines: Iterable<string>): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const file = new LineFile(path, gzip);
  try {
    for (const line of lines) await file.add(line);
    await file.close();
    return file.lines;
  } catch (error) {
    await file.abandon();
    throw error;
  }
}

/** A warehouse export: one CSV file per table, with the header Segment's warehouses use. */
async function writeWarehouseTables(folder: string, events: Iterable<Parameters<typeof toWarehouseRow>[0]>): Promise<number> {
  await mkdir(folder, { recursive: true });
  const tables: WarehouseTableName[] = ['pages', 'identifies', 'tracks'];
  const files = Object.fromEntries(tables.map((table) => [table, new LineFile(join(folder, `${table}.csv`), false)])) as Record<
    WarehouseTableName,
    LineFile
  >;
  let rows = 0;
  try {
    for (const table of tables) await files[table].add(csvLine(WAREHOUSE_COLUMNS[table]));
    for (const event of events) {
      const row = toWarehouseRow(event);
      if (!row) continue;
      await files[row.table].add(csvLine(row.values));
      rows++;
    }
    for (const table of tables) await files[table].close();
    return rows;
  } catch (error) {
    for (const table of tables) await files[table].abandon();
    throw error;
  }
}

/** How often a long run reports how far it got (stderr), unless told otherwise. */
const PROGRESS_INTERVAL_MS = 5_000;

export interface GenerateIo extends Pick<CommandIo, 'stdout' | 'stderr'> {
  env?: NodeJS.ProcessEnv;
  progressIntervalMs?: number;
}

/** Counts items as they pass and writes a line to `stream` at most every `intervalMs`. */
function* withProgress<T>(items: Iterable<T>, stream: NodeJS.WritableStream, intervalMs: number, started: number): Generator<T> {
  let count = 0;
  let next = started + intervalMs;
  for (const item of items) {
    yield item;
    count++;
    if ((count & 1023) === 0 && Date.now() >= next) {
      const seconds = (Date.now() - started) / 1000;
      stream.write(
        `generate: ${formatCount(count)} events written in ${seconds.toFixed(0)} s (${formatCount(Math.round(count / seconds))}/s)\n`,
      );
      next = Date.now() + intervalMs;
    }
  }
}

export async function runGenerateCommand(argv: readonly string[], io: GenerateIo): Promise<number> {
  const command = buildGenerateCommand()
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  let flags: GenerateFlags;
  try {
    await command.parseAsync([...argv], { from: 'user' });
    flags = command.opts<GenerateFlags>();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  let archive;
  try {
    archive = generateArchive({ users: flags.users, days: flags.days, seed: flags.seed, start: flags.start, signUpRate: flags.signUpRate });
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\n`);
    return 2;
  }
  const env = io.env ?? process.env;
  const defaultName = `archive-${flags.users}u-${flags.days}d-${flags.seed}${flags.format === 'csv' ? '-warehouse' : `.${flags.format}`}`;
  const out = userPath(flags.out ?? defaultName, env);
  const truthPath = flags.truth === undefined ? undefined : userPath(flags.truth, env);
  const problem =
    (await outputProblem(out, '--out', flags.format === 'csv' ? 'folder' : 'file')) ??
    (truthPath === undefined ? undefined : await outputProblem(truthPath, '--truth', 'file'));
  if (problem !== undefined) {
    io.stderr.write(`error: ${problem}\n`);
    return 2;
  }
  const order: ArchiveOrder = flags.shuffle ? { kind: 'shuffled', window: flags.shuffleWindow } : { kind: 'time' };
  const started = Date.now();
  const events = withProgress(archive.events(order), io.stderr, io.progressIntervalMs ?? PROGRESS_INTERVAL_MS, started);
  let written: number;
  try {
    written =
      flags.format === 'csv'
        ? await writeWarehouseTables(out, events)
        : await writeLines(
            out,
            flags.format === 'ndjson.gz',
            mapIterable(events, (event) => JSON.stringify(event)),
          );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined || !WRITE_ERRORS.has(code)) throw error;
    io.stderr.write(`error: cannot write ${out}: ${(error as Error).message}\n`);
    return 2;
  }
  let truthNote = '';
  if (truthPath !== undefined) {
    const people = await writeLines(
      truthPath,
      truthPath.endsWith('.gz'),
      mapIterable(archive.people(), (person) => JSON.stringify(person)),
    );
    truthNote = `\nground truth for ${formatCount(people)} people: ${truthPath}`;
  }
  const seconds = (Date.now() - started) / 1000;
  io.stdout.write(
    `wrote ${formatCount(written)} events (${flags.users} people over ${flags.days} days, seed ${flags.seed}, ${flags.shuffle ? `shuffled within ${formatCount(flags.shuffleWindow)}` : 'time order'}) to ${out} in ${seconds.toFixed(1)} s${truthNote}\n`,
  );
  return 0;
}

/** File-system refusals that are the person's to fix (a folder in the way, no permission), not bugs. */
const WRITE_ERRORS = new Set(['EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EEXIST', 'EROFS', 'ENOSPC']);

function* mapIterable<T, U>(items: Iterable<T>, map: (item: T) => U): Generator<U> {
  for (const item of items) yield map(item);
}

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
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
    .requiredOption('--users <n>', 'people who visit (about a third sign up)', positive(10_000_000))
    .requiredOption('--days <n>', 'days the first visits are spread over', positive(3_650))
    .requiredOption('--seed <seed>', 'the same seed always writes the same bytes')
    .option('--out <file>', 'output file (default: archive-<users>u-<days>d-<seed>.<format> here)')
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

export async function runGenerateCommand(argv: readonly string[], io: Pick<CommandIo, 'stdout' | 'stderr'>): Promise<number> {
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
  const defaultName = `archive-${flags.users}u-${flags.days}d-${flags.seed}${flags.format === 'csv' ? '-warehouse' : `.${flags.format}`}`;
  const out = resolve(flags.out ?? defaultName);
  const order: ArchiveOrder = flags.shuffle ? { kind: 'shuffled', window: flags.shuffleWindow } : { kind: 'time' };
  const started = Date.now();
  const events =
    flags.format === 'csv'
      ? await writeWarehouseTables(out, archive.events(order))
      : await writeLines(
          out,
          flags.format === 'ndjson.gz',
          mapIterable(archive.events(order), (event) => JSON.stringify(event)),
        );
  let truthNote = '';
  if (flags.truth) {
    const truthPath = resolve(flags.truth);
    const people = await writeLines(
      truthPath,
      truthPath.endsWith('.gz'),
      mapIterable(archive.people(), (person) => JSON.stringify(person)),
    );
    truthNote = `\nground truth for ${formatCount(people)} people: ${truthPath}`;
  }
  const seconds = (Date.now() - started) / 1000;
  io.stdout.write(
    `wrote ${formatCount(events)} events (${flags.users} people over ${flags.days} days, seed ${flags.seed}, ${flags.shuffle ? `shuffled within ${formatCount(flags.shuffleWindow)}` : 'time order'}) to ${out} in ${seconds.toFixed(1)} s${truthNote}\n`,
  );
  return 0;
}

function* mapIterable<T, U>(items: Iterable<T>, map: (item: T) => U): Generator<U> {
  for (const item of items) yield map(item);
}

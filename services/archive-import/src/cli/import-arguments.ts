import { availableParallelism } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { WAREHOUSE_TABLES, type WarehouseTable } from '../formats/warehouse';
import type { ProgressMode } from '../progress/reporter';
import { EXIT, EXIT_CODE_HELP } from './exit-codes';

/** What the import command accepts: its arguments, flags and help. */
export interface ImportFlags {
  dryRun: boolean;
  since?: string;
  until?: string;
  batchSize: number;
  checkpoint: boolean;
  checkpointDir?: string;
  restart: boolean;
  csvTable?: WarehouseTable;
  progress: ProgressMode;
  progressInterval: number;
  json: boolean;
  failOnRejected: boolean;
  workers: number;
}

/** One core drives the producer; the others (at most 4) validate and serialise. */
export const DEFAULT_WORKERS = Math.max(1, Math.min(4, availableParallelism() - 1));

function integer(min: number, max: number) {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max)
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return parsed;
  };
}

export function buildImportCommand(): Command {
  return new Command('import')
    .description(
      'Import Segment archives into segment.events.raw.v1: S3 NDJSON (gzipped or not), JSON arrays, warehouse CSV exports of pages, identifies and tracks. Folders are read recursively.',
    )
    .argument('<paths...>', 'files or folders to import (required; relative to the directory you run the command from)')
    .option('--dry-run', 'validate and count without writing to Kafka or checkpoints', false)
    .option('--since <time>', 'only events at or after this time (2024-01-31 or ISO-8601)')
    .option('--until <time>', 'only events before this time (2024-01-31 or ISO-8601)')
    .option('--batch-size <records>', 'records per producer round trip and checkpoint', integer(1, 50_000), 2_000)
    .option('--checkpoint-dir <folder>', 'keep checkpoints in this folder instead of next to each file')
    .option('--no-checkpoint', 'neither read nor write checkpoints')
    .option('--restart', 'ignore existing checkpoints and import every file from the beginning', false)
    .addOption(
      new Option('--csv-table <table>', 'the warehouse table of CSV files, when neither the name nor the header tells').choices(
        WAREHOUSE_TABLES,
      ),
    )
    .addOption(new Option('--progress <mode>', 'progress display').choices(['auto', 'bar', 'lines', 'none']).default('auto'))
    .option('--progress-interval <seconds>', 'seconds between plain progress lines', integer(1, 3600), 10)
    .option('--json', 'print the summary as JSON', false)
    .option('--fail-on-rejected', `exit with ${EXIT.rejected} when any record was rejected`, false)
    .option('--workers <n>', 'threads that validate and serialise records (0: all on the main thread)', integer(0, 16), DEFAULT_WORKERS)
    .addHelpText(
      'after',
      `
Environment:
  KAFKA_BROKERS            host:port[,host:port] (default 127.0.0.1:19092)
  KAFKA_TOPIC_PREFIX       prefix of every topic name (isolates tests and tenants)
  KAFKA_TOPIC_PARTITIONS   partitions of topics the import creates (default: each topic's own)
  KAFKA_REPLICATION_FACTOR replication factor of topics the import creates
  KAFKA_SSL                TLS to the brokers: true | false (default: on when a CA or certificate is set)
  KAFKA_SSL_CA             PEM CA the brokers' certificates must chain to (default: system trust store)
  KAFKA_SSL_CERT, KAFKA_SSL_KEY   PEM client certificate and key (mTLS)
  KAFKA_SASL_MECHANISM     plain | scram-sha-256 | scram-sha-512
  KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD   the SASL user
                           (certificates and credentials also as <NAME>_FILE: a file holding the value)
  LOG_LEVEL                debug | info | warn | error (default warn)
${EXIT_CODE_HELP}`,
    );
}

/** A value, or the exit code the command ends with instead. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; exitCode: number };

/** The paths and flags of the command line; or the exit code once commander answered --help or a usage error. */
export function parseCommandLine(
  argv: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<Parsed<{ paths: string[]; flags: ImportFlags }>> {
  const command = buildImportCommand()
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  return command.parseAsync([...argv], { from: 'user' }).then(
    () => ({ ok: true, value: { paths: command.processedArgs[0] as string[], flags: command.opts<ImportFlags>() } }),
    (error: unknown) => {
      if (error instanceof CommanderError) return { ok: false, exitCode: error.exitCode === 0 ? EXIT.ok : EXIT.usage };
      throw error;
    },
  );
}

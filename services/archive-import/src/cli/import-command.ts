import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TOPICS } from '@touchstream/contracts';
import { KafkaAccessError, KafkaRuntime } from '@touchstream/kafka';
import { describeError, Logger } from '@touchstream/logging';
import { CheckpointStore } from '../checkpoint/store';
import { parseImportEnv, type ImportEnv } from '../config';
import { discoverInputs, InputNotFoundError, type DiscoveredFile } from '../input/discover';
import { importFiles, type ImportOptions, type ImportResult } from '../importer';
import { InlineProcessor, WorkerPoolProcessor, type RecordProcessor } from '../pipeline/processor';
import { DryRunSink, KafkaSink, type RecordSink } from '../pipeline/sink';
import { parseTimeWindow, type TimeWindow } from '../pipeline/time-window';
import { createProgressReporter } from '../progress/reporter';
import { newStats, recordsPerSecond, type RunStats } from '../progress/stats';
import { formatSummary, totalsOf, type RejectionNote, type RunSummary } from '../summary';
import { EXIT } from './exit-codes';
import { parseCommandLine, type ImportFlags, type Parsed } from './import-arguments';
import { anyBrokerAnswers } from './reachability';
import { userDirectory, userPath } from './user-paths';

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  /** Registers SIGINT/SIGTERM handlers (the CLI does; tests need not). */
  onSignal?: (handler: (signal: NodeJS.Signals) => void) => () => void;
}

/** The compiled worker entry point; absent when running from the TypeScript sources (tests). */
const WORKER_SCRIPT = join(__dirname, '..', 'pipeline', 'process-worker.js');

function createProcessor(workers: number): { processor: RecordProcessor; maxQueuedJobs: number } {
  if (workers === 0 || !existsSync(WORKER_SCRIPT)) return { processor: new InlineProcessor(), maxQueuedJobs: 1 };
  return { processor: new WorkerPoolProcessor(WORKER_SCRIPT, workers), maxQueuedJobs: workers * 2 };
}

const SHOWN_REJECTIONS = 20;

export function exitCodeOf(outcome: RunSummary['outcome'], failedFiles: boolean, failOnRejected: boolean): number {
  if (outcome === 'kafka-error') return EXIT.kafka;
  if (outcome === 'interrupted') return EXIT.interrupted;
  if (outcome === 'checkpoint-error' || failedFiles) return EXIT.input;
  return failOnRejected ? EXIT.rejected : EXIT.ok;
}

/**
 * Kafka, checked quickly, then asked once whether it lets this client in (a refused login or an
 * untrusted certificate is one line naming the setting to fix, exit code 2: re-running with the
 * same settings fails the same way), topics provisioned, producer connected; or nowhere for
 * --dry-run.
 */
async function openSink(
  env: ImportEnv,
  dryRun: boolean,
  logger: Logger,
  io: CommandIo,
): Promise<Parsed<{ sink: RecordSink; runtime?: KafkaRuntime }>> {
  if (dryRun) return { ok: true, value: { sink: new DryRunSink() } };
  const brokers = env.kafka.brokers.join(', ');
  if (!(await anyBrokerAnswers(env.kafka.brokers))) {
    io.stderr.write(`error: no Kafka broker answers at ${brokers} (KAFKA_BROKERS)\n`);
    return { ok: false, exitCode: EXIT.kafka };
  }
  const runtime = new KafkaRuntime(env.kafka, logger);
  try {
    await runtime.checkAccess();
    await runtime.provision([TOPICS.rawEvents, TOPICS.rejectedEvents]);
    await runtime.connectProducer();
  } catch (error) {
    await runtime.shutdown().catch(() => undefined);
    if (error instanceof KafkaAccessError) {
      io.stderr.write(`error: cannot use Kafka at ${brokers}: ${error.message}\n`);
      return { ok: false, exitCode: EXIT.usage };
    }
    io.stderr.write(`error: cannot use Kafka at ${brokers}: ${(error as Error).message}\n`);
    return { ok: false, exitCode: EXIT.kafka };
  }
  return { ok: true, value: { sink: new KafkaSink(runtime), runtime } };
}

/** Parses the command line, runs the import and returns the exit code. */
export async function runImportCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = await parseCommandLine(argv, io);
  if (!parsed.ok) return parsed.exitCode;
  const { paths, flags } = parsed.value;
  const inputs = await resolveInputs(paths, flags, io);
  if (!inputs.ok) return inputs.exitCode;
  const { env, window, files } = inputs.value;

  const logger = new Logger({ service: 'archive-import', level: env.logLevel, sink: io.stderr });
  const opened = await openSink(env, flags.dryRun, logger, io);
  if (!opened.ok) return opened.exitCode;
  const { sink, runtime } = opened.value;

  const outcome = await importWithProgress({ files, window, flags, sink, runtime, logger, io });
  const summary = summarise(flags, sink, outcome);
  io.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
  return summary.exitCode;
}

/** The environment, the time window and the files to read; or a usage error that says what is wrong. */
async function resolveInputs(
  paths: string[],
  flags: ImportFlags,
  io: CommandIo,
): Promise<Parsed<{ env: ImportEnv; window: TimeWindow; files: DiscoveredFile[] }>> {
  const usage = (message: string): Parsed<never> => {
    io.stderr.write(`error: ${message}\n`);
    return { ok: false, exitCode: EXIT.usage };
  };
  const envResult = parseImportEnv(io.env);
  if (!envResult.ok) return usage(`invalid environment:\n${envResult.problems.map((problem) => `  - ${problem}`).join('\n')}`);
  let window: TimeWindow;
  try {
    window = parseTimeWindow(flags.since, flags.until);
  } catch (error) {
    return usage((error as Error).message);
  }
  let files;
  try {
    files = await discoverInputs(paths, userDirectory(io.env));
  } catch (error) {
    if (error instanceof InputNotFoundError) return usage(error.message);
    throw error;
  }
  if (files.length === 0) return usage(`no files found in ${paths.map((path) => userPath(path, io.env)).join(', ')}`);
  return { ok: true, value: { env: envResult.env, window, files } };
}

interface ImportRun {
  files: DiscoveredFile[];
  window: TimeWindow;
  flags: ImportFlags;
  sink: RecordSink;
  /** Absent for --dry-run. */
  runtime?: KafkaRuntime;
  logger: Logger;
  io: CommandIo;
}

interface ImportOutcome {
  result: ImportResult;
  stats: RunStats;
  /** The first rejections, for the summary. */
  rejections: RejectionNote[];
}

/**
 * Imports the files with progress on stderr; a signal stops it after the batch in flight. The
 * producer is shut down once the import ends, whichever way it ends.
 */
async function importWithProgress(run: ImportRun): Promise<ImportOutcome> {
  const { files, flags, sink, runtime, logger, io } = run;
  const totalBytes = (await Promise.all(files.map((file) => stat(file.path)))).reduce((sum, info) => sum + info.size, 0);
  const stats = newStats(Date.now(), files.length, totalBytes);
  const reporter = createProgressReporter(stats, { mode: flags.progress, stream: io.stderr, intervalMs: flags.progressInterval * 1000 });
  const rejections: RejectionNote[] = [];
  let stopRequested = false;
  const removeSignalHandler = io.onSignal?.((signal) => {
    if (stopRequested) return;
    stopRequested = true;
    io.stderr.write(`\n${signal}: finishing the batch in flight, then stopping (checkpoints will be up to date)\n`);
  });

  const { processor, maxQueuedJobs } = createProcessor(flags.workers);
  reporter.start();
  let result;
  try {
    result = await importFiles(files, importOptions(run), {
      sink,
      processor,
      maxQueuedJobs,
      stats,
      logger,
      now: () => new Date(),
      shouldStop: () => stopRequested,
      onRejection: (note) => {
        if (rejections.length < SHOWN_REJECTIONS) rejections.push(note);
      },
    });
  } catch (error) {
    reporter.stop();
    logger.error('import failed', describeError(error));
    await runtime?.shutdown().catch(() => undefined);
    throw error;
  } finally {
    removeSignalHandler?.();
    await processor.close();
  }
  reporter.stop();
  await runtime
    ?.shutdown()
    .catch((error: unknown) => logger.warn('producer did not shut down cleanly', describeError(error, { stack: false })));
  return { result, stats, rejections };
}

function importOptions({ flags, window, io }: ImportRun): ImportOptions {
  return {
    dryRun: flags.dryRun,
    window,
    windowText: { since: flags.since ?? null, until: flags.until ?? null },
    batchSize: flags.batchSize,
    checkpoints:
      flags.dryRun || !flags.checkpoint
        ? null
        : new CheckpointStore(flags.checkpointDir === undefined ? undefined : userPath(flags.checkpointDir, io.env)),
    restart: flags.restart,
    csvTable: flags.csvTable,
  };
}

/** The run's summary (stdout) and its exit code. */
function summarise(flags: ImportFlags, sink: RecordSink, { result, stats, rejections }: ImportOutcome): RunSummary {
  const now = Date.now();
  const totals = totalsOf(result.files);
  const failedFiles = result.files.some((file) => file.status === 'failed');
  const exitCode = exitCodeOf(result.outcome, failedFiles, flags.failOnRejected && totals.rejected > 0);
  const cpu = process.cpuUsage();
  return {
    dryRun: flags.dryRun,
    topics: sink.rawTopic && sink.rejectedTopic ? { raw: sink.rawTopic, rejected: sink.rejectedTopic } : null,
    files: result.files,
    totals,
    rejections,
    rejectionsNotShown: Math.max(0, totals.rejected - rejections.length),
    durationMs: now - stats.startedAt,
    recordsPerSecond: recordsPerSecond(stats, now),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    batchSize: flags.batchSize,
    outcome: result.outcome,
    exitCode,
  };
}

import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Logger } from '@touchstream/logging';
import type { SegmentTransport, TransportResult } from './segment-transport';

const NEWLINE = Buffer.from('\n');

/**
 * Dry run (the default without SEGMENT_WRITE_KEY): each request body that would have gone to
 * Segment is appended to an NDJSON file, one batch per line, and summarised in the log; the
 * answer is a 200. Writes are serialised so lines never interleave.
 */
export class DryRunTransport implements SegmentTransport {
  readonly description: string;
  private readonly file: string;
  private tail: Promise<void>;

  constructor(
    file: string,
    private readonly logger: Logger,
  ) {
    this.file = resolve(file);
    this.description = `dry run to ${this.file}`;
    this.tail = mkdir(dirname(this.file), { recursive: true }).then(() => undefined);
  }

  post(body: Buffer, summary: { events: number; bytes: number }): Promise<TransportResult> {
    const write = this.tail.then(() => appendFile(this.file, Buffer.concat([body, NEWLINE])));
    this.tail = write.catch(() => undefined);
    return write.then(
      (): TransportResult => {
        this.logger.info('dry run: batch written instead of sent to Segment', { file: this.file, ...summary });
        return { kind: 'answer', status: 200, retryAfter: null, rateLimitReset: null, body: '{"success":true,"dryRun":true}' };
      },
      (error: unknown): TransportResult => ({
        kind: 'failure',
        failure: 'connection',
        message: `dry-run file: ${(error as Error).message}`,
      }),
    );
  }

  async close(): Promise<void> {
    await this.tail;
  }
}

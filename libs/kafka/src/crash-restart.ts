import type { Consumer } from 'kafkajs';
import { backoffDelay, type BackoffPolicy } from '@touchstream/contracts';
import { describeError, type Logger } from '@touchstream/logging';
import { delay } from './backoff';

/** From one second up to half a minute between attempts to run an abandoned consumer again. */
const RESTART_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, factor: 2 };

/**
 * Logs every crash. kafkajs restarts a crashed consumer only when it deems the crash retriable; after any other
 * crash it disconnects and leaves the consumer stopped for good, while the process (and its
 * /ready) carries on, so its partitions would stall with nobody reading them. This runs such a
 * consumer again (the same subscriptions, a fresh group membership), with backoff, until it runs
 * or `signal` aborts (the consumer is being stopped). Nothing is skipped: the restarted consumer
 * resumes from the group's committed offsets, and every effect applied since is recognised by its
 * stored position.
 */
export function watchCrashes(consumer: Consumer, run: () => Promise<void>, logger: Logger, signal: AbortSignal): void {
  consumer.on(consumer.events.CRASH, (event) => {
    logger.error('consumer crashed', { restart: event.payload.restart, ...describeError(event.payload.error) });
    if (event.payload.restart || signal.aborted) return;
    void runAgain(run, logger, signal);
  });
}

async function runAgain(run: () => Promise<void>, logger: Logger, signal: AbortSignal): Promise<void> {
  for (let attempt = 1; !signal.aborted; attempt += 1) {
    const waitMs = backoffDelay(attempt, RESTART_BACKOFF);
    logger.warn('kafkajs abandoned the consumer after a crash it does not retry; running it again', { attempt, waitMs });
    await delay(waitMs, signal);
    if (signal.aborted) return;
    try {
      await run();
      logger.info('consumer running again after its crash', { attempt });
      return;
    } catch (error) {
      logger.error('could not run the consumer again', { attempt, ...describeError(error) });
    }
  }
}

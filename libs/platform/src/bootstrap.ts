import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DatabaseAccessError } from '@touchstream/database';
import { KafkaAccessError } from '@touchstream/kafka';
import { describeError, Logger } from '@touchstream/logging';
import { answerWrongMethodWith405, fastifyTimeoutOptions, HTTP_TIMEOUTS, type HttpTimeouts } from './http-server';
import { KafkaBatchTransport } from './kafka-batch-transport';
import { NestLoggerAdapter } from './nest-logger';

export interface BootstrapOptions {
  service: string;
  port: number;
  host: string;
  /** Largest request body Fastify reads (ingest sets Segment's 500 KB limit plus headroom). */
  bodyLimit?: number;
  /** Keep the raw request body (webhook signatures are over the raw bytes). */
  rawBody?: boolean;
  /** How long a graceful shutdown may take before the process exits anyway. */
  shutdownTimeoutMs?: number;
  /** Longest route parameter Fastify matches (its default, 100, answers 414 above that). */
  maxParamLength?: number;
  /** Header, request, idle and keep-alive timeouts (HTTP_TIMEOUTS unless a test shortens them). */
  timeouts?: Partial<HttpTimeouts>;
}

/** Creates the NestJS app on Fastify, listens, and returns it (tests close it themselves). */
export async function createService(module: DynamicModule, options: BootstrapOptions): Promise<NestFastifyApplication> {
  const logger = new Logger({ service: options.service });
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    new FastifyAdapter({
      bodyLimit: options.bodyLimit ?? 1_048_576,
      routerOptions: { maxParamLength: options.maxParamLength ?? 100 },
      ...fastifyTimeoutOptions({ ...HTTP_TIMEOUTS, ...options.timeouts }),
    }),
    {
      logger: new NestLoggerAdapter(logger),
      rawBody: options.rawBody ?? false,
      // Boot errors reach runService's catch (logged with their cause, exit 1) instead of abort().
      abortOnError: false,
    },
  );
  // Before listen(), which registers the routes: the 405 hook learns them as they come.
  answerWrongMethodWith405(app.getHttpAdapter().getInstance());
  await startConsuming(app);
  await app.listen(options.port, options.host);
  return app;
}

/**
 * A service that consumes provides a KafkaBatchTransport: its `@ConsumeBatches` handlers start
 * consuming once every module is initialised, before the HTTP port opens (readiness counts them).
 */
async function startConsuming(app: NestFastifyApplication): Promise<void> {
  const transport = consumerTransport(app);
  if (!transport) return;
  app.connectMicroservice({ strategy: transport });
  await app.init();
  await app.startAllMicroservices();
}

function consumerTransport(app: NestFastifyApplication): KafkaBatchTransport | undefined {
  try {
    return app.get(KafkaBatchTransport, { strict: false });
  } catch {
    return undefined;
  }
}

/**
 * The process entry point of every service: boot, print where it listens, and on SIGTERM or
 * SIGINT close the app (consumers stop, producer flushes, database closes) and exit 0.
 */
export async function runService(module: DynamicModule, options: BootstrapOptions): Promise<void> {
  const logger = new Logger({ service: options.service });
  try {
    const app = await createService(module, options);
    logger.info(`${options.service} listening`, { url: await app.getUrl() });
    let closing = false;
    const close = (signal: string) => {
      if (closing) return;
      closing = true;
      logger.info('shutting down', { signal });
      const force = setTimeout(() => {
        logger.error('graceful shutdown timed out; exiting');
        process.exit(1);
      }, options.shutdownTimeoutMs ?? 25_000);
      force.unref();
      app
        .close()
        .then(() => {
          logger.info('stopped cleanly');
          process.exit(0);
        })
        .catch((error: unknown) => {
          logger.error('shutdown failed', describeError(error));
          process.exit(1);
        });
    };
    process.once('SIGTERM', () => close('SIGTERM'));
    process.once('SIGINT', () => close('SIGINT'));
  } catch (error) {
    // A refused login, an untrusted certificate or a pooler dropping the session settings: one
    // line saying what to fix, no stack (retrying or reading code will not help).
    if (error instanceof KafkaAccessError) logger.error(`${options.service} cannot start: ${error.message}`, { setting: error.setting });
    else if (error instanceof DatabaseAccessError) logger.error(`${options.service} cannot start: ${error.message}`);
    else logger.error(`${options.service} failed to start`, describeError(error));
    process.exit(1);
  }
}

import { HttpException, Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BodyError, readBody } from '../domain/read-body';
import { INGEST_SETTINGS } from './tokens';
import type { IngestSettings } from '../domain/ingestor';
import { IngestMetrics } from './ingest.metrics';

/**
 * Takes request bodies away from Fastify's JSON parser: every body (any content type: Segment's
 * browser library sends text/plain beacons) arrives as the raw buffer, which the webhook
 * signature is computed over and which the ingest core parses itself, so an oversized body gets
 * a 413 and invalid JSON a 400, each saying exactly what was wrong. Also times every answer.
 */
@Injectable()
export class IngestHttpSetup implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(INGEST_SETTINGS) private readonly settings: IngestSettings,
    private readonly metrics: IngestMetrics,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const limit = this.settings.limits.maxRequestBytes;
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('*', (request: FastifyRequest, payload: NodeJS.ReadableStream, done) => {
      readBody(payload as never, {
        limit,
        contentLength: request.headers['content-length'],
        contentEncoding: request.headers['content-encoding'],
      }).then(
        (body) => done(null, body),
        (error: unknown) => {
          if (error instanceof BodyError) {
            const source = request.url.startsWith('/v1/webhook') ? 'webhook' : 'api';
            this.metrics.requestRefused(source, error.code);
            const body: Record<string, unknown> = { success: false, error: error.code, message: error.message };
            if (error.limit !== undefined) body.limit = error.limit;
            done(new HttpException(body, error.status), undefined);
          } else done(error as Error, undefined);
        },
      );
    });
    fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, next: () => void) => {
      const route = request.routeOptions.url;
      if (route?.startsWith('/v1/')) this.metrics.requestAnswered(route, reply.statusCode, reply.elapsedTime / 1000);
      next();
    });
  }
}

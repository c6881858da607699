import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  CORS_ALLOWED_HEADERS,
  CORS_ALLOWED_METHODS,
  CORS_EXPOSED_HEADERS,
  CORS_MAX_AGE_SECONDS,
  originAllowed,
  type CorsPolicy,
} from '../domain/cors';
import { SdkMetrics } from './sdk.metrics';

export const CORS_POLICY = Symbol('CORS_POLICY');

/**
 * CORS for the Tracking API routes, in front of everything else (an onRequest hook: a refused
 * origin's body is never read, and a preflight is answered before routing, which knows no
 * OPTIONS routes). The webhook is server to server and the operational routes are not for
 * browsers: neither gets CORS headers.
 */
@Injectable()
export class IngestCors implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(CORS_POLICY) private readonly policy: CorsPolicy,
    private readonly metrics: SdkMetrics,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
      const origin = request.headers.origin;
      if (origin === undefined || !isBrowserRoute(request.url)) return done();
      const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
      void reply.header('vary', 'Origin');
      if (!originAllowed(this.policy, origin)) {
        this.metrics.originRefused(preflight ? 'preflight' : 'request');
        void reply.status(403).send({
          success: false,
          error: 'origin_not_allowed',
          message: `the origin ${origin} is not allowed to send events: add it to INGEST_CORS_ORIGINS`,
        });
        return;
      }
      void reply.header('access-control-allow-origin', origin);
      if (preflight) {
        void reply
          .status(204)
          .header('access-control-allow-methods', CORS_ALLOWED_METHODS)
          .header('access-control-allow-headers', CORS_ALLOWED_HEADERS)
          .header('access-control-max-age', String(CORS_MAX_AGE_SECONDS))
          .send();
        return;
      }
      void reply.header('access-control-expose-headers', CORS_EXPOSED_HEADERS);
      done();
    });
  }
}

/** Every /v1/ route but the webhook: the Tracking API's long and short names and /v1/m. */
function isBrowserRoute(url: string): boolean {
  return url.startsWith('/v1/') && !url.startsWith('/v1/webhook');
}

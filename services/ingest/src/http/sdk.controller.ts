import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TRACING, type Tracing } from '@touchstream/platform';
import { Ingestor } from '../core/ingestor';
import type { TrackingRoute } from '../core/limits';
import { answerIngest } from './answer';
import { SdkMetrics } from './sdk-metrics';

/**
 * The short routes Segment's browser and mobile SDKs post to: analytics-next sends each call to
 * `<apiHost>/<first letter of its type>` (`/t`, `/p`, `/i`, `/a`, `/g`, `/s`), batches to `/b`
 * and its own telemetry to `/m`; analytics-swift, analytics-kotlin and React Native send batches
 * to `/b`. Each is the long route under another name (same authentication, limits, per-event
 * rejections and answers); the rejected topic records the long name.
 */
@Controller('v1')
export class SdkController {
  constructor(
    @Inject(Ingestor) private readonly ingestor: Ingestor,
    private readonly metrics: SdkMetrics,
    @Inject(TRACING) private readonly tracing: Tracing,
  ) {}

  @Post('t')
  track(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle('track', request, reply);
  }

  @Post('p')
  page(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle('page', request, reply);
  }

  @Post('i')
  identify(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle('identify', request, reply);
  }

  @Post('a')
  alias(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle('alias', request, reply);
  }

  @Post('g')
  group(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle('group', request, reply);
  }

  @Post('s')
  screen(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle('screen', request, reply);
  }

  @Post('b')
  batch(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle('batch', request, reply);
  }

  /**
   * The SDK's own telemetry (counters of its internals, no events, sent without a write key):
   * counted and discarded. A 2xx, so the SDK does not retry it.
   */
  @Post('m')
  @HttpCode(200)
  telemetry(): { success: true } {
    this.metrics.telemetryReceived();
    return { success: true };
  }

  private handle(route: TrackingRoute, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    return answerIngest(this.ingestor, this.tracing, request, reply, {
      channel: { kind: 'api', route },
      body: Buffer.isBuffer(request.body) ? request.body : undefined,
      authorization: request.headers.authorization,
    });
  }
}

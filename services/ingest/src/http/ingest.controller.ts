import { Controller, Inject, Patch, Post, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TRACING, type Tracing } from '@touchstream/platform';
import { Ingestor } from '../core/ingestor';
import type { IngestChannel } from '../core/limits';
import { answerIngest } from './answer';

/**
 * Segment's webhook destination and its HTTP Tracking API. Thin: the ingest core does the work
 * and says what to answer.
 */
@Controller('v1')
export class IngestController {
  constructor(
    @Inject(Ingestor) private readonly ingestor: Ingestor,
    @Inject(TRACING) private readonly tracing: Tracing,
  ) {}

  @Post('webhook')
  webhook(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle({ kind: 'webhook' }, request, reply);
  }

  /** Webhooks (Actions) may be configured to PUT or PATCH. */
  @Put('webhook')
  webhookPut(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle({ kind: 'webhook' }, request, reply);
  }

  @Patch('webhook')
  webhookPatch(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle({ kind: 'webhook' }, request, reply);
  }

  @Post('batch')
  batch(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle({ kind: 'api', route: 'batch' }, request, reply);
  }

  @Post('track')
  track(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle({ kind: 'api', route: 'track' }, request, reply);
  }

  @Post('page')
  page(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle({ kind: 'api', route: 'page' }, request, reply);
  }

  @Post('identify')
  identify(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle({ kind: 'api', route: 'identify' }, request, reply);
  }

  @Post('screen')
  screen(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle({ kind: 'api', route: 'screen' }, request, reply);
  }

  @Post('group')
  group(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle({ kind: 'api', route: 'group' }, request, reply);
  }

  @Post('alias')
  alias(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.handle({ kind: 'api', route: 'alias' }, request, reply);
  }

  private handle(channel: IngestChannel, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const signature = request.headers['x-signature'];
    return answerIngest(this.ingestor, this.tracing, request, reply, {
      channel,
      body: Buffer.isBuffer(request.body) ? request.body : undefined,
      authorization: request.headers.authorization,
      signature: Array.isArray(signature) ? signature[0] : signature,
    });
  }
}

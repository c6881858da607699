import { Controller, Get, HttpException, HttpStatus, Inject, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from '@touchstream/contracts';
import { DebugTokenGuard } from '@touchstream/platform';
import { SinkStatusService, type SinkStatus } from './sink-status.service';
import { ResendService, type ResendAnswer } from './resend.service';

const idSchema = z.string().min(1).max(500).refine(isStorableText, `the id ${UNSTORABLE_TEXT_MESSAGE}`);
const resendIdSchema = z.string().min(1).max(100).refine(isStorableText, `resendId ${UNSTORABLE_TEXT_MESSAGE}`).optional();

/**
 * The sink's debug surface (bearer DEBUG_TOKEN): re-send the current facts of a user or a
 * device on demand, and the delivery status. /metrics is the platform's.
 */
@Controller('segment')
@UseGuards(DebugTokenGuard)
export class SegmentController {
  constructor(
    @Inject(ResendService) private readonly resend: ResendService,
    @Inject(SinkStatusService) private readonly statusService: SinkStatusService,
  ) {}

  @Post('identify/user/:userId')
  async identifyUser(@Param('userId') userId: string, @Res() reply: FastifyReply, @Query('resendId') resendId?: string): Promise<void> {
    await answer(
      reply,
      await this.resend.identifyUser(parse(idSchema, userId), parse(resendIdSchema, resendId)),
      `no attribution stored for user ${userId}`,
    );
  }

  @Post('track/user/:userId')
  async trackUser(@Param('userId') userId: string, @Res() reply: FastifyReply, @Query('resendId') resendId?: string): Promise<void> {
    await answer(
      reply,
      await this.resend.trackUser(parse(idSchema, userId), parse(resendIdSchema, resendId)),
      `no attribution stored for user ${userId}`,
    );
  }

  @Post('track/anonymous/:anonymousId')
  async trackAnonymous(
    @Param('anonymousId') anonymousId: string,
    @Res() reply: FastifyReply,
    @Query('resendId') resendId?: string,
  ): Promise<void> {
    await answer(
      reply,
      await this.resend.trackAnonymous(parse(idSchema, anonymousId), parse(resendIdSchema, resendId)),
      `no attribution stored for anonymousId ${anonymousId}`,
    );
  }

  @Get('status')
  status(): Promise<SinkStatus> {
    return this.statusService.status();
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpException({ error: result.error.issues[0]?.message ?? 'invalid parameter' }, HttpStatus.BAD_REQUEST);
  return result.data;
}

/** 200 with what was sent; 404 when nothing is stored; 202 when Segment has not answered yet (the events keep going). */
async function answer(reply: FastifyReply, resent: ResendAnswer, notFound: string): Promise<void> {
  if (!resent.found) throw new HttpException({ error: notFound }, HttpStatus.NOT_FOUND);
  await reply.status(resent.pending ? HttpStatus.ACCEPTED : HttpStatus.OK).send(resent);
}

import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ReadinessRegistry } from './readiness';

@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessRegistry) {}

  /** Liveness: the process answers. */
  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: every dependency (broker, database, consumers) is connected. */
  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const { ready, checks } = await this.readiness.check();
    await reply.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).send({ status: ready ? 'ready' : 'not ready', checks });
  }
}

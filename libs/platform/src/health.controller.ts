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

  /**
   * Readiness: every dependency (broker, database, consumers) is connected and no consumer is
   * stuck; `details` says what a failing check found (a stuck consumer's group, topic and partition).
   */
  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const { ready, checks, details } = await this.readiness.check();
    const body = { status: ready ? 'ready' : 'not ready', checks, ...(Object.keys(details).length > 0 ? { details } : {}) };
    await reply.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).send(body);
  }
}

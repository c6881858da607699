import { timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export const DEBUG_TOKEN = Symbol('DEBUG_TOKEN');

/**
 * Debug endpoints show what touchstream knows about a person: they need `Authorization: Bearer
 * <DEBUG_TOKEN>`. With no token configured they are disabled (503), never open.
 */
@Injectable()
export class DebugTokenGuard implements CanActivate {
  constructor(@Inject(DEBUG_TOKEN) private readonly token: string | undefined) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.token) {
      throw new HttpException({ error: 'debug endpoints are disabled: set DEBUG_TOKEN to enable them' }, HttpStatus.SERVICE_UNAVAILABLE);
    }
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    if (!match || !safeEqual(match[1] as string, this.token)) {
      throw new HttpException({ error: 'a valid bearer token is required' }, HttpStatus.UNAUTHORIZED);
    }
    return true;
  }
}

/** Timing-safe comparison; lengths are compared first because timingSafeEqual requires equal lengths. */
export function safeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

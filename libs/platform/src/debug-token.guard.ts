import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export const DEBUG_TOKEN = Symbol('DEBUG_TOKEN');
export const ADMIN_TOKEN = Symbol('ADMIN_TOKEN');

/** The token of `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 9110 11.1). */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^bearer[ \t]+(.+?)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Timing-safe comparison that leaks neither content nor length: both sides are hashed to 32
 * bytes first (comparing lengths first would tell an attacker how long the token is).
 */
export function safeEqual(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function checkBearer(context: ExecutionContext, token: string | undefined, disabled: string): void {
  if (!token) throw new HttpException({ error: disabled }, HttpStatus.SERVICE_UNAVAILABLE);
  const given = bearerToken(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization);
  if (given === undefined || !safeEqual(given, token)) {
    throw new HttpException({ error: 'a valid bearer token is required' }, HttpStatus.UNAUTHORIZED);
  }
}

/**
 * Debug endpoints show what touchstream knows about a person: they need `Authorization: Bearer
 * <DEBUG_TOKEN>`. With no token configured they are disabled (503), never open.
 */
@Injectable()
export class DebugTokenGuard implements CanActivate {
  constructor(@Inject(DEBUG_TOKEN) private readonly token: string | undefined) {}

  canActivate(context: ExecutionContext): boolean {
    checkBearer(context, this.token, 'debug endpoints are disabled: set DEBUG_TOKEN to enable them');
    return true;
  }
}

/**
 * Admin actions change state (POST /admin/replay rewinds consumer groups and rebuilds
 * projections), so they take their own `ADMIN_TOKEN`, not the read-only debug token. With no
 * token configured they are disabled (503), never open.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(ADMIN_TOKEN) private readonly token: string | undefined) {}

  canActivate(context: ExecutionContext): boolean {
    checkBearer(context, this.token, 'admin endpoints are disabled: set ADMIN_TOKEN to enable them');
    return true;
  }
}

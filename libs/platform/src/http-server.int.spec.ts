import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Controller, Get, Module, Post, UseGuards } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@touchstream/testing';
import { createService } from './bootstrap';
import { AdminTokenGuard, DebugTokenGuard, safeEqual } from './debug-token.guard';
import { HTTP_TIMEOUTS } from './http-server';
import { PlatformModule } from './platform.module';

const DEBUG = 'debug-token-0123456789';
const ADMIN = 'admin-token-0123456789';

@Controller('things')
class ThingsController {
  @Get(':id')
  @UseGuards(DebugTokenGuard)
  one(): { ok: true } {
    return { ok: true };
  }

  @Post()
  @UseGuards(AdminTokenGuard)
  create(): { ok: true } {
    return { ok: true };
  }
}

@Module({
  imports: [PlatformModule.forService({ service: 'http-test', logLevel: 'error', debugToken: DEBUG, adminToken: ADMIN })],
  controllers: [ThingsController],
})
class TestModule {}

@Module({ imports: [PlatformModule.forService({ service: 'http-test', logLevel: 'error' })], controllers: [ThingsController] })
class NoTokensModule {}

/** Opens a raw connection, sends `text`, and records when the server closes it and what it answered. */
function rawRequest(url: string, text: string): { closed: () => boolean; received: () => string; socket: Socket } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let closed = false;
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('close', () => (closed = true));
  socket.on('error', () => (closed = true));
  socket.write(text);
  return { closed: () => closed, received: () => received, socket };
}

describe('the HTTP server every service runs on (libs/platform createService)', () => {
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    app = await createService(
      { module: TestModule },
      { service: 'http-test', port: 0, host: '127.0.0.1', timeouts: { idleMs: 300, requestMs: 600, headersMs: 600, checkIntervalMs: 100 } },
    );
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('answers a known path with a wrong method 405 with Allow, and an unknown path 404', async () => {
    const wrong = await fetch(`${url}/things/42`, { method: 'DELETE', headers: { authorization: `Bearer ${DEBUG}` } });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    expect(await wrong.json()).toMatchObject({ statusCode: 405, message: 'DELETE is not allowed on /things/42: use GET, HEAD' });
    const getOnPost = await fetch(`${url}/things?x=1`);
    expect(getOnPost.status).toBe(405);
    expect(getOnPost.headers.get('allow')).toBe('POST');
    expect((await fetch(`${url}/health`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}/nothing-here`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${url}/things/42/more`)).status).toBe(404);
    // OPTIONS is left to whoever answers preflights (none here: 404), never 405.
    expect((await fetch(`${url}/things/42`, { method: 'OPTIONS' })).status).toBe(404);
  });

  it('takes the bearer scheme in any case, and refuses a wrong token of any length', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect((await fetch(`${url}/things/1`, { headers: { authorization: `${scheme} ${DEBUG}` } })).status, scheme).toBe(200);
    }
    for (const token of ['x', `${DEBUG}x`, DEBUG.slice(0, -1), ADMIN]) {
      expect((await fetch(`${url}/things/1`, { headers: { authorization: `Bearer ${token}` } })).status, token).toBe(401);
    }
    expect(safeEqual('short', 'a-much-longer-token')).toBe(false);
    expect(safeEqual(DEBUG, DEBUG)).toBe(true);
  });

  it('guards admin actions with ADMIN_TOKEN: the debug token does not open them', async () => {
    const post = (token: string) => fetch(`${url}/things`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect((await post(DEBUG)).status).toBe(401);
    expect((await post(ADMIN)).status).toBe(201);
  });

  it('answers 503 on admin and debug routes when their token is not configured', async () => {
    const closed = await createService({ module: NoTokensModule }, { service: 'http-test', port: 0, host: '127.0.0.1' });
    try {
      const base = await closed.getUrl();
      const admin = await fetch(`${base}/things`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
      expect(admin.status).toBe(503);
      expect(await admin.json()).toEqual({ error: 'admin endpoints are disabled: set ADMIN_TOKEN to enable them' });
      expect((await fetch(`${base}/things/1`, { headers: { authorization: `Bearer ${DEBUG}` } })).status).toBe(503);
    } finally {
      await closed.close();
    }
  });

  it('closes a connection whose body never completes, and one whose headers never complete', async () => {
    const { port } = new URL(url);
    const stalledBody = rawRequest(
      url,
      `POST /things HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":`,
    );
    const stalledHeaders = rawRequest(url, `GET /things/1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `);
    await waitFor(() => stalledBody.closed() && stalledHeaders.closed(), {
      description: 'the server to close both stalled connections',
      timeoutMs: 20_000,
    });
    stalledBody.socket.destroy();
    stalledHeaders.socket.destroy();
  });

  it('sets the documented timeouts by default', async () => {
    const service = await createService({ module: NoTokensModule }, { service: 'http-test', port: 0, host: '127.0.0.1' });
    try {
      const server: Server = service.getHttpServer();
      expect({
        headers: server.headersTimeout,
        request: server.requestTimeout,
        idle: server.timeout,
        keepAlive: server.keepAliveTimeout,
      }).toEqual({
        headers: HTTP_TIMEOUTS.headersMs,
        request: HTTP_TIMEOUTS.requestMs,
        idle: HTTP_TIMEOUTS.idleMs,
        keepAlive: HTTP_TIMEOUTS.keepAliveMs,
      });
    } finally {
      await service.close();
    }
  });
});

import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSegmentReceiver, type SegmentReceiver } from '@touchstream/testing';
import { HttpSegmentTransport } from './http-transport';
import { egressProxyFromEnv, type EgressProxySettings } from './egress-proxy';

const KEY = 'transport-key';
const track = (messageId: string, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'E',
  anonymousId: 'a',
  messageId,
  ...extra,
});
const body = (events: unknown[]) => JSON.stringify({ batch: events });

/** The HTTP transport against the receiver that stands in for Segment: each documented behaviour, over real HTTP. */
describe('HTTP transport and the Segment receiver', () => {
  let receiver: SegmentReceiver;
  let transport: HttpSegmentTransport;

  beforeAll(async () => {
    receiver = await startSegmentReceiver({ writeKey: KEY });
    transport = new HttpSegmentTransport({ apiHost: receiver.url, writeKey: KEY, connections: 2, timeoutMs: 500, userAgent: 'test' });
  });

  afterAll(async () => {
    await transport.close();
    await receiver.close();
  });

  const post = (text: string) => transport.post(Buffer.from(text), { events: 0, bytes: Buffer.byteLength(text) });
  const last = () => receiver.requests().at(-1);

  it('delivers with Basic auth and Content-Length in bytes, and records what arrived', async () => {
    const text = body([track('m-1', { properties: { name: 'Zoë 🚀' } })]);
    expect(await post(text)).toMatchObject({ kind: 'answer', status: 200 });
    expect(last()).toMatchObject({ outcome: 'accepted', bytes: Buffer.byteLength(text), path: '/v1/batch', dropped: 0 });
    expect(Number(last()?.headers['content-length'])).toBe(Buffer.byteLength(text));
    expect(receiver.accepted().at(-1)).toEqual(track('m-1', { properties: { name: 'Zoë 🚀' } }));
  });

  it('answers 401 to a wrong write key and accepts the key in the body', async () => {
    const wrong = new HttpSegmentTransport({ apiHost: receiver.url, writeKey: 'nope', connections: 1, timeoutMs: 500, userAgent: 'test' });
    try {
      expect(await wrong.post(Buffer.from(body([track('m-2')])), { events: 1, bytes: 0 })).toMatchObject({ kind: 'answer', status: 401 });
      expect(
        await wrong.post(Buffer.from(JSON.stringify({ batch: [track('m-3')], writeKey: KEY })), { events: 1, bytes: 0 }),
      ).toMatchObject({
        status: 401,
      });
    } finally {
      await wrong.close();
    }
    const anonymous = await fetch(`${receiver.url}/v1/batch`, {
      method: 'POST',
      body: JSON.stringify({ batch: [track('m-4')], writeKey: KEY }),
    });
    expect(anonymous.status).toBe(200);
  });

  it('answers 400 to invalid JSON, a request over 500 KB and an event over 32 KB, counting bytes', async () => {
    expect(await post('{"batch": [')).toMatchObject({ status: 400 });
    expect(last()?.reason).toBe('invalid JSON');
    // 180,000 three-byte characters: 180 K UTF-16 units, 540 KB.
    const events = Array.from({ length: 20 }, (_, n) => track(`big-${n}`, { properties: { text: '日'.repeat(9_000) } }));
    expect(body(events).length).toBeLessThan(500 * 1024);
    expect(await post(body(events))).toMatchObject({ status: 400 });
    expect(last()?.reason).toMatch(/over the 512000-byte limit/);
    expect(await post(body([track('huge', { properties: { text: 'é'.repeat(17_000) } })]))).toMatchObject({ status: 400 });
    expect(last()?.reason).toMatch(/^event huge is \d+ bytes, over the 32768-byte limit$/);
  });

  it('answers 200 to more than 2,500 events and silently drops the rest, as Segment does', async () => {
    const events = Array.from({ length: 2_600 }, (_, n) => ({ type: 'track', event: 'E', anonymousId: 'a', messageId: `many-${n}` }));
    expect(await post(body(events))).toMatchObject({ status: 200 });
    expect(last()).toMatchObject({ outcome: 'accepted', dropped: 100 });
    expect(last()?.events).toHaveLength(2_500);
    expect(receiver.acceptedMessageIds()).not.toContain('many-2500');
  });

  it('reports scripted faults: a status with headers, a reset connection and a timeout', async () => {
    receiver.failNext(
      { kind: 'status', status: 429, headers: { 'retry-after': '3', 'x-ratelimit-reset': '1700000000' } },
      { kind: 'reset' },
      { kind: 'hang' },
    );
    expect(await post(body([track('f-1')]))).toMatchObject({ kind: 'answer', status: 429, retryAfter: '3', rateLimitReset: '1700000000' });
    expect(await post(body([track('f-2')]))).toMatchObject({ kind: 'failure', failure: 'connection' });
    expect(await post(body([track('f-3')]))).toMatchObject({ kind: 'failure', failure: 'timeout' });
    expect(await post(body([track('f-4')]))).toMatchObject({ kind: 'answer', status: 200 });
    expect(
      receiver
        .requests()
        .slice(-4)
        .map((request) => request.outcome),
    ).toEqual(['faulted', 'reset', 'aborted', 'accepted']);
  });

  it('holds a valid batch until released, and refuses by event when asked to', async () => {
    receiver.failNext({ kind: 'hold' });
    const pending = post(body([track('h-1')]));
    await expect.poll(() => last()?.outcome).toBe('held');
    expect(receiver.acceptedMessageIds()).not.toContain('h-1');
    receiver.release();
    expect(await pending).toMatchObject({ status: 200 });
    expect(receiver.acceptedMessageIds()).toContain('h-1');

    receiver.failWhen((events) =>
      events.some((event) => event.messageId === 'poison') ? { kind: 'status', status: 400, body: '{"error":"poison"}' } : undefined,
    );
    expect(await post(body([track('ok'), track('poison')]))).toMatchObject({ status: 400, body: '{"error":"poison"}' });
    expect(await post(body([track('ok')]))).toMatchObject({ status: 200 });
  });

  it('posts under the path of a proxy host', async () => {
    const proxied = new HttpSegmentTransport({
      apiHost: `${receiver.url}/segment-proxy`,
      writeKey: KEY,
      connections: 1,
      timeoutMs: 500,
      userAgent: 'test',
    });
    try {
      expect(proxied.description).toBe(`${receiver.url}/segment-proxy/v1/batch`);
      expect(await proxied.post(Buffer.from(body([track('p-1')])), { events: 1, bytes: 0 })).toMatchObject({ status: 404 });
      expect(last()?.path).toBe('/segment-proxy/v1/batch');
    } finally {
      await proxied.close();
    }
  });
});

/** A CONNECT proxy on loopback that counts the tunnels it opens (what a company's egress proxy does). */
async function startConnectProxy(): Promise<{ url: string; tunnels: string[]; close: () => Promise<void> }> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_, response) => response.writeHead(405).end());
  server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
    const target = request.url ?? '';
    tunnels.push(target);
    const [host, port] = target.split(':');
    const upstream = connect(Number(port), host ?? '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('HTTP transport behind a proxy (HTTPS_PROXY / HTTP_PROXY / NO_PROXY)', () => {
  let receiver: SegmentReceiver;
  let proxy: Awaited<ReturnType<typeof startConnectProxy>>;

  beforeAll(async () => {
    receiver = await startSegmentReceiver({ writeKey: KEY });
    proxy = await startConnectProxy();
  });

  afterAll(async () => {
    await proxy.close();
    await receiver.close();
  });

  const transportVia = (settings: EgressProxySettings) =>
    new HttpSegmentTransport({
      apiHost: receiver.url,
      writeKey: KEY,
      connections: 1,
      timeoutMs: 2_000,
      userAgent: 'test',
      egressProxy: settings,
    });

  it('tunnels through the proxy, and names it (without credentials) in its description', async () => {
    // The receiver speaks plain http, so HTTP_PROXY is the variable that applies (HTTPS_PROXY for Segment's https).
    const transport = transportVia({ httpProxy: proxy.url.replace('http://', 'http://user:pw@'), noProxy: '' });
    try {
      expect(await transport.post(Buffer.from(body([track('p-1')])), { events: 1, bytes: 0 })).toMatchObject({
        kind: 'answer',
        status: 200,
      });
      expect(proxy.tunnels).toEqual([new URL(receiver.url).host]);
      expect(receiver.accepted().at(-1)).toEqual(track('p-1'));
      expect(transport.description).toBe(`${receiver.url}/v1/batch (proxy: ${proxy.url})`);
    } finally {
      await transport.close();
    }
  });

  it('goes straight to a host NO_PROXY names', async () => {
    const before = proxy.tunnels.length;
    const transport = transportVia({ httpProxy: proxy.url, noProxy: '127.0.0.1' });
    try {
      expect(await transport.post(Buffer.from(body([track('p-2')])), { events: 1, bytes: 0 })).toMatchObject({
        kind: 'answer',
        status: 200,
      });
      expect(proxy.tunnels).toHaveLength(before);
      expect(receiver.accepted().at(-1)).toEqual(track('p-2'));
    } finally {
      await transport.close();
    }
  });

  it('reads the standard variables, upper case first, and none means no proxy', () => {
    expect(egressProxyFromEnv({})).toBeUndefined();
    expect(egressProxyFromEnv({ NO_PROXY: 'x' })).toBeUndefined();
    expect(egressProxyFromEnv({ https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2', no_proxy: '.internal' })).toEqual({
      httpsProxy: 'http://b:2',
      httpProxy: undefined,
      noProxy: '.internal',
    });
  });
});

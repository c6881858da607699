import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Segment's HTTP Tracking API (`POST /v1/batch`) for tests and benchmarks: it
 * enforces what Segment documents for its HTTP Tracking API and records exactly what
 * arrived. Real HTTP over node:http, so the client under test runs unchanged.
 *
 * - Auth: HTTP Basic with the write key as user name (any password), or `writeKey` in the body;
 *   401 otherwise.
 * - Limits in UTF-8 bytes: a request over 500 KB and a batch with an event over 32 KB get 400;
 *   invalid JSON or a body without a `batch` array gets 400.
 * - Over 2,500 events: 200, and everything past the 2,500th is silently dropped (recorded as
 *   `dropped`), as Segment does.
 * - Scripted faults for the next requests: any status with headers (429 + Retry-After, 500),
 *   `hang` (never answers: the client's timeout must fire), `reset` (the connection is destroyed
 *   after the body arrived), `hold` (a valid batch is recorded, its 200 held until release()).
 */
export interface SegmentReceiverOptions {
  writeKey: string;
  /** Defaults are Segment's: 500 KB per request, 32 KB per event, 2,500 events per batch. */
  maxRequestBytes?: number;
  maxEventBytes?: number;
  maxBatchEvents?: number;
  /**
   * 'events' keeps every parsed event (tests); 'ids' keeps only type and messageId of each, so a
   * benchmark of hundreds of thousands of events does not measure the receiver's memory.
   */
  record?: 'events' | 'ids';
  port?: number;
}

export type SegmentFault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'hold' };

/** One event as recorded: the parsed JSON (or only its type and messageId in 'ids' mode). */
export type ReceivedEvent = Record<string, unknown> & { type?: string; messageId?: string };

export type RequestOutcome =
  /** Answered 200: `events` were taken (and `dropped` beyond 2,500 were not). */
  | 'accepted'
  /** Answered 400 or 401 by the rules above; `reason` says why. */
  | 'refused'
  /** Answered by a scripted status. */
  | 'faulted'
  /** A scripted hang or hold still waiting, or a reset. */
  | 'hanging'
  | 'held'
  | 'reset'
  /** The client closed the connection before an answer (its timeout, or it died). */
  | 'aborted';

export interface ReceivedRequest {
  /** 1, 2, ... in arrival order. */
  seq: number;
  method: string;
  path: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Body size in bytes, as it arrived. */
  bytes: number;
  /** Date.now() when the body had arrived, and when the answer went out. */
  receivedAt: number;
  answeredAt: number | null;
  status: number | null;
  outcome: RequestOutcome;
  reason: string | null;
  /** The batch's events, when the body parsed (whatever the answer); those past 2,500 excluded. */
  events: ReceivedEvent[];
  /** Events past the 2,500th that were silently dropped. */
  dropped: number;
}

export interface SegmentReceiver {
  /** Base URL, e.g. http://127.0.0.1:40123 (the client posts to `${url}/v1/batch`). */
  readonly url: string;
  /** Every request in arrival order. */
  requests(): readonly ReceivedRequest[];
  /** Events of the requests answered 200, in arrival order (duplicates included). */
  accepted(): ReceivedEvent[];
  /** messageIds of accepted events, in arrival order (duplicates included). */
  acceptedMessageIds(): string[];
  /** Faults for the next requests, one per request, in order. */
  failNext(...faults: SegmentFault[]): void;
  /** A fault for every request whose events match, ahead of failNext (e.g. refuse one messageId). */
  failWhen(match: (events: readonly ReceivedEvent[]) => SegmentFault | undefined): void;
  /** Answers every held request 200 (they count as accepted). */
  release(): void;
  /** Forgets recorded requests and scripted faults. */
  clear(): void;
  close(): Promise<void>;
}

const DEFAULTS = { maxRequestBytes: 500 * 1024, maxEventBytes: 32 * 1024, maxBatchEvents: 2_500 };

type Limits = typeof DEFAULTS;
type ParsedBatch = ReturnType<typeof parseBatch>;
type Matcher = (events: readonly ReceivedEvent[]) => SegmentFault | undefined;

export async function startSegmentReceiver(options: SegmentReceiverOptions): Promise<SegmentReceiver> {
  const limits: Limits = {
    maxRequestBytes: options.maxRequestBytes ?? DEFAULTS.maxRequestBytes,
    maxEventBytes: options.maxEventBytes ?? DEFAULTS.maxEventBytes,
    maxBatchEvents: options.maxBatchEvents ?? DEFAULTS.maxBatchEvents,
  };
  const recordIdsOnly = options.record === 'ids';
  let recorded: ReceivedRequest[] = [];
  let scripted: SegmentFault[] = [];
  let matcher: Matcher | null = null;
  let held: Array<{ request: ReceivedRequest; response: ServerResponse }> = [];

  async function onRequest(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(incoming);
    const request = newRequest(incoming, body, recorded.length + 1);
    recorded.push(request);
    response.on('close', () => {
      if (request.status === null && (request.outcome === 'hanging' || request.outcome === 'held')) request.outcome = 'aborted';
    });

    if (request.method !== 'POST' || request.path !== '/v1/batch')
      return refuse(request, response, 404, `no route ${request.method} ${request.path}`);
    const parsed = parseBatch(body.toString('utf8'));
    if (parsed.ok) {
      request.events = parsed.events.slice(0, limits.maxBatchEvents).map((event) => (recordIdsOnly ? idsOf(event) : event));
      request.dropped = Math.max(0, parsed.events.length - limits.maxBatchEvents);
    }

    // A scripted fault answers before Segment's checks (a 429 or 500 comes whatever the batch
    // holds); a hold applies to a batch that passed them.
    const fault = (matcher && parsed.ok ? matcher(parsed.events) : undefined) ?? scripted.shift();
    if (answerFault(fault, request, incoming, response)) return;
    const refusal = refusalOf(request, body, parsed, limits, options.writeKey);
    if (refusal) return refuse(request, response, refusal.status, refusal.reason);
    if (fault?.kind === 'hold') {
      request.outcome = 'held';
      held.push({ request, response });
      return;
    }
    request.outcome = 'accepted';
    answer(request, response, 200, { success: true });
  }

  const server: Server = createServer((incoming, response) => {
    onRequest(incoming, response).catch(() => incoming.socket.destroy());
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const acceptedEvents = () => recorded.filter((request) => request.outcome === 'accepted').flatMap((request) => request.events);
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => recorded,
    accepted: acceptedEvents,
    acceptedMessageIds: () => acceptedEvents().map((event) => String(event.messageId)),
    failNext: (...faults) => void scripted.push(...faults),
    failWhen: (match) => {
      matcher = match;
    },
    release: () => {
      for (const { request, response } of held.splice(0)) {
        if (response.destroyed) continue;
        request.outcome = 'accepted';
        answer(request, response, 200, { success: true });
      }
    },
    clear: () => {
      recorded = [];
      scripted = [];
      matcher = null;
      held = [];
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function newRequest(incoming: IncomingMessage, body: Buffer, seq: number): ReceivedRequest {
  return {
    seq,
    method: incoming.method ?? '',
    path: (incoming.url ?? '').split('?')[0] ?? '',
    headers: lowerCaseHeaders(incoming),
    bytes: body.length,
    receivedAt: Date.now(),
    answeredAt: null,
    status: null,
    outcome: 'refused',
    reason: null,
    events: [],
    dropped: 0,
  };
}

/** Answers a scripted status, hang or reset; true when the request is thereby dealt with. */
function answerFault(
  fault: SegmentFault | undefined,
  request: ReceivedRequest,
  incoming: IncomingMessage,
  response: ServerResponse,
): boolean {
  if (fault?.kind === 'status') {
    request.outcome = 'faulted';
    request.reason = `scripted ${fault.status}`;
    answer(request, response, fault.status, fault.body ?? { success: false }, fault.headers);
    return true;
  }
  if (fault?.kind === 'hang') {
    request.outcome = 'hanging';
    return true;
  }
  if (fault?.kind === 'reset') {
    request.outcome = 'reset';
    incoming.socket.destroy();
    return true;
  }
  return false;
}

/** Segment's checks, in Segment's order: the write key, the request's size, the body, each event's size. */
function refusalOf(
  request: ReceivedRequest,
  body: Buffer,
  parsed: ParsedBatch,
  limits: Limits,
  writeKey: string,
): { status: number; reason: string } | undefined {
  if (!authorised(request.headers.authorization, parsed.ok ? parsed.writeKey : undefined, writeKey)) {
    return { status: 401, reason: 'a valid write key is required (HTTP Basic, write key as user name)' };
  }
  if (body.length > limits.maxRequestBytes) {
    return { status: 400, reason: `request is ${body.length} bytes, over the ${limits.maxRequestBytes}-byte limit` };
  }
  if (!parsed.ok) return { status: 400, reason: parsed.reason };
  for (const event of parsed.events.slice(0, limits.maxBatchEvents)) {
    const size = Buffer.byteLength(JSON.stringify(event), 'utf8');
    if (size > limits.maxEventBytes) {
      return { status: 400, reason: `event ${String(event.messageId)} is ${size} bytes, over the ${limits.maxEventBytes}-byte limit` };
    }
  }
  return undefined;
}

function answer(
  request: ReceivedRequest,
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  request.status = status;
  request.answeredAt = Date.now();
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function refuse(request: ReceivedRequest, response: ServerResponse, status: number, reason: string): void {
  request.outcome = 'refused';
  request.reason = reason;
  answer(request, response, status, { success: false, error: reason });
}

async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function lowerCaseHeaders(incoming: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function parseBatch(text: string): { ok: true; events: ReceivedEvent[]; writeKey: string | undefined } | { ok: false; reason: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid JSON' };
  }
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { batch?: unknown }).batch)) {
    return { ok: false, reason: 'body must be an object with a "batch" array' };
  }
  const { batch, writeKey } = body as { batch: unknown[]; writeKey?: unknown };
  if (batch.some((event) => typeof event !== 'object' || event === null || Array.isArray(event)))
    return { ok: false, reason: 'every batch item must be an object' };
  return { ok: true, events: batch as ReceivedEvent[], writeKey: typeof writeKey === 'string' ? writeKey : undefined };
}

function authorised(header: string | undefined, bodyWriteKey: string | undefined, writeKey: string): boolean {
  const match = /^Basic (.+)$/i.exec(header ?? '');
  if (match) {
    const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
    const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
    return user === writeKey;
  }
  return bodyWriteKey === writeKey;
}

function idsOf(event: ReceivedEvent): ReceivedEvent {
  return { type: event.type, messageId: event.messageId };
}

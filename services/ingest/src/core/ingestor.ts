import type { EventSource } from '@touchstream/contracts';
import type { OutgoingMessage } from '@touchstream/kafka';
import { awaitAck, type AckOutcome } from './ack';
import { admitEvents, rejectedEventMessage, type RefusedPayload, type Rejection, type RejectionCode } from './admit';
import { acceptedAnswer, invalidEventAnswer, refusal, unavailable, type IngestAnswer, type RefusalCode } from './answers';
import { extractEvents } from './extract-events';
import { channelPath, type IngestChannel, type IngestLimits } from './limits';
import { parseJson } from './parse-json';
import { verifySignature, type SignatureScope } from './signature';
import { checkWriteKey, writeKeyFromHeader } from './write-key';

export type TargetTopic = 'raw' | 'rejected';

/**
 * Resolves once the broker acknowledged every message (acks=all); rejects otherwise. When
 * `signal` aborts (the request gave up waiting), messages not yet sent are withdrawn.
 */
export type Publish = (topic: TargetTopic, messages: OutgoingMessage[], signal: AbortSignal) => Promise<void>;

export interface IngestSettings {
  limits: IngestLimits;
  writeKeys: readonly string[];
  sharedSecret: string | undefined;
  /** What X-Signature must cover (SEGMENT_SIGNATURE_SCOPE): the whole body unless set otherwise. */
  signatureScope: SignatureScope;
  ackTimeoutMs: number;
  retryAfterSeconds: number;
  maxPendingEvents: number;
}

/** Hooks for metrics and readiness; every method is optional. */
export interface IngestObserver {
  eventsAccepted?(source: EventSource, count: number): void;
  eventsRejected?(source: EventSource, code: RejectionCode, count: number): void;
  requestRefused?(source: EventSource, code: RefusalCode): void;
  acksAwaited?(seconds: number, outcome: AckOutcome['kind']): void;
}

export interface IngestRequest {
  channel: IngestChannel;
  /** The body exactly as received (signatures are over these bytes). */
  body: Buffer | undefined;
  authorization?: string | undefined;
  signature?: string | undefined;
  /** Told the accepted events' messages as they are handed to the broker (the request's span links them). */
  published?: ((messages: readonly OutgoingMessage[]) => void) | undefined;
}

const EMPTY = Buffer.alloc(0);

interface RequestContext {
  source: EventSource;
  /** The route, as the rejected topic records it. */
  channel: string;
  receivedAt: Date;
  published?: IngestRequest['published'];
}

type AuthState =
  { kind: 'authenticated'; onlyFirstEventSigned?: boolean } | { kind: 'needs-body-key' } | { kind: 'refused'; message: string };

/**
 * One request, start to answer: authenticate (webhook signature or write key), parse, split
 * into events, accept the valid ones and reject the rest with reasons, publish both, and answer
 * only after the broker acknowledged everything, or 503 when it does not within the bound.
 * Framework-free: the HTTP layer hands it bytes and headers and sends back what it returns.
 */
export class Ingestor {
  private pendingEvents = 0;

  constructor(
    private readonly publish: Publish,
    private readonly settings: IngestSettings,
    private readonly observer: IngestObserver = {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Events handed to the broker and not yet acknowledged or failed (including ones already answered 503). */
  pending(): number {
    return this.pendingEvents;
  }

  async ingest(request: IngestRequest): Promise<IngestAnswer> {
    const source: EventSource = request.channel.kind === 'webhook' ? 'webhook' : 'api';
    const context: RequestContext = {
      source,
      channel: channelPath(request.channel),
      receivedAt: this.now(),
      published: request.published,
    };
    const raw = request.body ?? EMPTY;
    const auth = this.authenticate(request, raw);
    if (auth.kind === 'refused') return this.refuse(source, 401, 'unauthorized', auth.message);

    const parsed = parseJson(raw);
    if (!parsed.ok) {
      // Without credentials nothing is stored; with them, the body is kept before the 400.
      if (auth.kind === 'needs-body-key') return this.refuse(source, 400, 'invalid_json', parsed.message);
      return this.refuseBody(context, 'invalid_json', parsed.message, redactWriteKey(raw.toString('utf8')));
    }
    if (auth.kind === 'needs-body-key') {
      const check = checkWriteKey(bodyWriteKey(parsed.value), this.settings.writeKeys);
      if (!check.ok) return this.refuse(source, 401, 'unauthorized', check.message);
    }
    const extraction = extractEvents(request.channel, parsed.value);
    if (!extraction.ok) return this.refuseBody(context, 'invalid_request', extraction.message, withoutWriteKeys(parsed.value));
    const signedEvents = auth.kind === 'authenticated' && auth.onlyFirstEventSigned ? 1 : undefined;
    return this.accept(extraction.value.candidates, extraction.value.single, context, signedEvents);
  }

  /** What can be checked before the body is parsed: the webhook signature, or a Basic-auth write key. */
  private authenticate(request: IngestRequest, raw: Buffer): AuthState {
    if (request.channel.kind === 'webhook') {
      if (this.settings.sharedSecret === undefined) return { kind: 'authenticated' };
      const check = verifySignature(raw, request.signature, this.settings.sharedSecret, this.settings.signatureScope);
      if (!check.ok) return { kind: 'refused', message: check.message };
      return { kind: 'authenticated', onlyFirstEventSigned: check.covers === 'first-element' };
    }
    const header = writeKeyFromHeader(request.authorization);
    if (header.kind === 'malformed') {
      return {
        kind: 'refused',
        message: 'the Authorization header must be HTTP Basic with the write key as user name and an empty password',
      };
    }
    if (header.kind === 'absent' && this.settings.writeKeys.length > 0) return { kind: 'needs-body-key' };
    const check = checkWriteKey(header.kind === 'key' ? header.key : undefined, this.settings.writeKeys);
    return check.ok ? { kind: 'authenticated' } : { kind: 'refused', message: check.message };
  }

  /** Partial acceptance: publish the valid events and the rejections, answer once all are acknowledged. */
  private async accept(
    candidates: unknown[],
    single: boolean,
    context: RequestContext,
    signedEvents: number | undefined,
  ): Promise<IngestAnswer> {
    const { source } = context;
    if (this.pendingEvents + candidates.length > this.settings.maxPendingEvents) {
      this.observer.requestRefused?.(source, 'overloaded');
      return unavailable(
        'overloaded',
        `${this.pendingEvents} events are waiting for the broker's acknowledgement (limit INGEST_MAX_PENDING_EVENTS=${this.settings.maxPendingEvents}): retry later`,
        this.settings.retryAfterSeconds,
      );
    }
    const admission = admitEvents(candidates, { source, receivedAt: context.receivedAt, limits: this.settings.limits, signedEvents });
    const rejectedMessages = admission.rejected.map((rejection) => rejectedEventMessage(rejection, context));
    if (admission.accepted.length > 0) context.published?.(admission.accepted);
    const outcome = await this.publishAll(admission.accepted, rejectedMessages);
    if (outcome.kind !== 'acked') return this.notAcknowledged(source, outcome);

    if (admission.accepted.length > 0) this.observer.eventsAccepted?.(source, admission.accepted.length);
    countRejections(admission.rejected, (code, count) => this.observer.eventsRejected?.(source, code, count));
    if (single && admission.rejected.length > 0) {
      this.observer.requestRefused?.(source, 'invalid_event');
      return invalidEventAnswer(admission.rejected);
    }
    return acceptedAnswer(admission.accepted.length, admission.rejected);
  }

  private refuse(source: EventSource, status: number, code: RefusalCode, message: string): IngestAnswer {
    this.observer.requestRefused?.(source, code);
    return refusal(status, code, message);
  }

  /** A body that is not JSON, or not the shape the route reads, is kept in the rejected topic before the 400. */
  private async refuseBody(
    context: RequestContext,
    code: 'invalid_json' | 'invalid_request',
    message: string,
    payload: unknown,
  ): Promise<IngestAnswer> {
    const refused: RefusedPayload = { reason: message, issues: [{ path: '', message }], messageId: null, payload };
    const outcome = await this.publishAll([], [rejectedEventMessage(refused, context)]);
    if (outcome.kind !== 'acked') return this.notAcknowledged(context.source, outcome);
    return this.refuse(context.source, 400, code, message);
  }

  private async publishAll(raw: OutgoingMessage[], rejected: OutgoingMessage[]): Promise<AckOutcome> {
    const count = raw.length + rejected.length;
    if (count === 0) return { kind: 'acked' };
    this.pendingEvents += count;
    const started = performance.now();
    const giveUp = new AbortController();
    const sends: Promise<void>[] = [];
    if (raw.length > 0) sends.push(this.publish('raw', raw, giveUp.signal));
    if (rejected.length > 0) sends.push(this.publish('rejected', rejected, giveUp.signal));
    const settled = Promise.allSettled(sends);
    void settled.then(() => {
      this.pendingEvents -= count;
    });
    const acked = settled.then((results) => {
      const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failure) throw failure.reason;
    });
    const outcome = await awaitAck(acked, this.settings.ackTimeoutMs);
    // Answered 503: what is still queued is withdrawn (never written); a request in flight is not.
    if (outcome.kind !== 'acked') giveUp.abort();
    this.observer.acksAwaited?.((performance.now() - started) / 1000, outcome.kind);
    return outcome;
  }

  /**
   * Any failure to get the acknowledgement is transient from the sender's side (the broker is
   * down, slow, or misconfigured: an operator fixes it, the sender's retry then succeeds), so it
   * is always a 503, which Segment retries, never a 4xx, which it would drop.
   */
  private notAcknowledged(source: EventSource, outcome: Exclude<AckOutcome, { kind: 'acked' }>): IngestAnswer {
    const { retryAfterSeconds, ackTimeoutMs } = this.settings;
    this.observer.requestRefused?.(source, 'broker_unavailable');
    const message =
      outcome.kind === 'timeout'
        ? `Kafka did not acknowledge the events within ${ackTimeoutMs} ms: retry later`
        : `Kafka did not acknowledge the events (${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}): retry later`;
    return unavailable('broker_unavailable', message, retryAfterSeconds);
  }
}

function countRejections(rejected: readonly Rejection[], report: (code: RejectionCode, count: number) => void): void {
  const counts = new Map<RejectionCode, number>();
  for (const rejection of rejected) counts.set(rejection.code, (counts.get(rejection.code) ?? 0) + 1);
  for (const [code, count] of counts) report(code, count);
}

function bodyWriteKey(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const key = (body as { writeKey?: unknown }).writeKey;
  return typeof key === 'string' ? key : undefined;
}

/** A refused body is stored as parsed, without `writeKey` at any depth (a refused request is rare: copying is fine). */
function withoutWriteKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutWriteKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'writeKey')
      .map(([key, item]) => [key, withoutWriteKeys(item)]),
  );
}

/** A body that is not JSON is kept as text, minus anything that looks like a write key. */
export function redactWriteKey(text: string): string {
  return text.replace(/("writeKey"\s*:\s*)"(?:[^"\\]|\\.)*"/g, '$1"[redacted]"');
}

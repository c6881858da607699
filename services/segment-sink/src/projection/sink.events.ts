import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { ConsumedMessage } from '@touchstream/kafka';
import { ConsumeBatches } from '@touchstream/platform';
import type { Forwardable } from '../domain/forwarding';
import { PROXY_EVENTS, SegmentProxy } from '../proxy/segment-proxy';
import { deliverSinkBatch, SINK_EVENTS, type SinkMessage } from './sink.projection';
import { StreamHandler } from './stream-handler';

/** The sink's consumer groups' handlers; PROXY_EVENTS has a group only when SEGMENT_PROXY is on. */
@Controller()
export class SinkEvents {
  constructor(
    @Inject(StreamHandler) private readonly handler: StreamHandler,
    @Inject(SegmentProxy) private readonly proxy: SegmentProxy | null,
  ) {}

  /** Resolves once Segment took the batch's calls (or they were dead-lettered). */
  @ConsumeBatches(SINK_EVENTS)
  async factsAndTouches(@Payload() messages: ConsumedMessage<SinkMessage>[]): Promise<void> {
    await deliverSinkBatch(this.handler, messages);
  }

  @ConsumeBatches(PROXY_EVENTS)
  async proxyRawEvents(@Payload() messages: ConsumedMessage<Forwardable>[]): Promise<void> {
    if (!this.proxy) throw new Error('SEGMENT_PROXY is off: no group consumes for the proxy');
    await this.proxy.forward(messages);
  }
}

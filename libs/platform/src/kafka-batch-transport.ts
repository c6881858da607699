import { applyDecorators, Catch, UseFilters, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { BaseRpcContext, EventPattern, Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { isObservable, lastValueFrom, throwError, type Observable } from 'rxjs';
import type { BatchConsumer, ConsumedMessage, ConsumerOptions, KafkaRuntime } from '@touchstream/kafka';

/**
 * One consumer group behind an `@EventPattern(pattern)` handler. The pattern is a compile-time
 * name (the decorator's argument); group, topics (prefixed at runtime), decoder and concurrency
 * come from the service's config when the transport is built.
 */
export interface BatchSubscription<T> extends Omit<ConsumerOptions<T>, 'handle'> {
  pattern: string;
}

/** What an `@EventPattern` handler of this transport gets as its context (the payload is the batch). */
export class KafkaBatchContext extends BaseRpcContext<[groupId: string, pattern: string]> {
  get groupId(): string {
    return this.args[0];
  }
}

/**
 * Nest's default RPC exception filter turns every error into `{ status, message }`; libs/kafka
 * classifies failures by their class (retried, dead-lettered, redelivered), so errors pass as they are.
 */
@Catch()
export class PassBatchErrorsThrough implements RpcExceptionFilter {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * `@EventPattern(pattern)` for a KafkaBatchTransport handler, with its errors passed through as
 * they are (PassBatchErrorsThrough): a global filter would come too late, as Nest builds a hybrid
 * app's handlers when the transport is connected.
 */
export function ConsumeBatches(pattern: string): MethodDecorator {
  return applyDecorators(EventPattern(pattern), UseFilters(PassBatchErrorsThrough));
}

/**
 * A Nest microservice transport over libs/kafka's BatchConsumer: one consumer group per
 * subscription, whose `@ConsumeBatches` (`@EventPattern`) handler receives each decoded batch and must make its effect
 * (and the consumed positions) durable before it resolves. The transport adds nothing to delivery:
 * libs/kafka commits the offset after the handler resolved, as without it. `start`/`stop` switch
 * one group (a replay rewinds it meanwhile); `afterListen` runs once every group has started.
 */
export class KafkaBatchTransport extends Server implements CustomTransportStrategy {
  override readonly transportId = Symbol('kafka-batch');
  private readonly consumers = new Map<string, BatchConsumer<unknown>>();
  private readonly subscriptions = new Map<string, BatchSubscription<unknown>>();
  private readonly listeners: Array<() => Promise<void>> = [];

  constructor(
    private readonly runtime: KafkaRuntime,
    subscriptions: readonly BatchSubscription<unknown>[],
  ) {
    super();
    for (const subscription of subscriptions) this.subscriptions.set(subscription.pattern, subscription);
  }

  /** Runs once all groups consume (an interrupted rebuild resumes only then). */
  afterListen(listener: () => Promise<void>): void {
    this.listeners.push(listener);
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      for (const pattern of this.subscriptions.keys()) await this.start(pattern);
      for (const listener of this.listeners) await listener();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  async start(pattern: string): Promise<void> {
    if (this.consumers.has(pattern)) return;
    const subscription = this.subscriptions.get(pattern);
    const handler = this.getHandlerByPattern(pattern);
    if (!subscription || !handler) throw new Error(`no subscription and @EventPattern handler for ${pattern}`);
    const context = new KafkaBatchContext([subscription.groupId, pattern]);
    const consumer = await this.runtime.startConsumer<unknown>({
      ...subscription,
      handle: async (messages: ConsumedMessage<unknown>[]) => {
        const result: unknown = await handler(messages, context);
        if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
      },
    });
    this.consumers.set(pattern, consumer);
  }

  async stop(pattern: string): Promise<void> {
    const consumer = this.consumers.get(pattern);
    this.consumers.delete(pattern);
    if (consumer) await this.runtime.stopConsumer(consumer);
  }

  isRunning(pattern: string): boolean {
    return this.consumers.get(pattern)?.isRunning() ?? false;
  }

  async close(): Promise<void> {
    for (const pattern of [...this.consumers.keys()]) await this.stop(pattern);
  }

  on(): never {
    throw new Error('KafkaBatchTransport has no events to listen to');
  }

  unwrap<T>(): T {
    return this.runtime as T;
  }
}

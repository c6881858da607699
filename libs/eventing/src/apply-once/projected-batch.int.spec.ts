import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource, EntityManager } from 'typeorm';
import { EventingTestSchema } from '@touchstream/testing';
import { appendToOutbox, applyProjectedBatch, type FactHold } from '..';

interface Message {
  topic: string;
  partition: number;
  offset: string;
  id: string;
}

/** A hold whose answer the test sets; it records what it was asked and told, and in which transaction. */
class RecordingHold implements FactHold {
  held = false;
  readonly calls: Array<{ call: 'holdsFacts' | 'batchHeld'; transaction?: EntityManager }> = [];

  async holdsFacts(transaction: EntityManager): Promise<boolean> {
    this.calls.push({ call: 'holdsFacts', transaction });
    return this.held;
  }

  batchHeld(): void {
    this.calls.push({ call: 'batchHeld' });
  }
}

describe('applyProjectedBatch: a projection batch once per offset, its hold, outbox and relay wake-up on the real Postgres', () => {
  const eventing = new EventingTestSchema('projected', 2);
  const { namespace } = eventing;
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await eventing.open();
  });

  afterAll(() => eventing.close());

  const outboxIds = async (prefix: string) => (await eventing.outboxEvents(prefix)).map((event) => event.eventId);

  /** A projection that appends one outbox event per fresh message unless held. */
  function project(group: string, messages: Message[], hold: RecordingHold, order: string[]) {
    let notified = 0;
    const run = applyProjectedBatch({
      manager: dataSource.manager,
      schema: namespace.schema,
      consumerGroup: group,
      messages,
      hold,
      relay: { notify: () => void (notified += 1) },
      apply: async (fresh, transaction, { held }) => {
        order.push(`apply held=${held}`);
        expect(transaction).toBe(hold.calls.at(-1)?.transaction);
        const rows = held
          ? []
          : fresh.map((message) => ({ eventId: `${group}-${message.id}`, topic: 'facts', key: message.id, payload: { id: message.id } }));
        return { result: fresh.map((message) => message.id), published: await appendToOutbox(transaction, namespace.schema, rows) };
      },
    });
    return run.then((outcome) => ({ outcome, notified }));
  }

  const batch = (ids: string[], first = 0): Message[] =>
    ids.map((id, index) => ({ topic: 't', partition: 0, offset: String(first + index), id }));

  it('asks the hold inside the transaction before applying, appends the facts, and wakes the relay once', async () => {
    const hold = new RecordingHold();
    const order: string[] = [];
    const { outcome, notified } = await project('live', batch(['a', 'b']), hold, order);
    expect(hold.calls.map(({ call }) => call)).toEqual(['holdsFacts']);
    expect(order).toEqual(['apply held=false']);
    expect(outcome.held).toBe(false);
    expect(outcome.fresh.map((message) => message.id)).toEqual(['a', 'b']);
    expect(outcome.applied).toEqual({ result: ['a', 'b'], published: 2 });
    expect(notified).toBe(1);
    expect(await outboxIds('live-')).toEqual(['live-a', 'live-b']);
  });

  it('under a hold, applies without facts, does not wake the relay, and tells the hold once committed', async () => {
    const hold = new RecordingHold();
    hold.held = true;
    const { outcome, notified } = await project('held', batch(['a']), hold, []);
    expect(hold.calls.map(({ call }) => call)).toEqual(['holdsFacts', 'batchHeld']);
    expect(outcome).toMatchObject({ held: true, applied: { result: ['a'], published: 0 } });
    expect(notified).toBe(0);
    expect(await outboxIds('held-')).toEqual([]);
  });

  it('does not wake the relay when a live batch appends nothing', async () => {
    let notified = 0;
    const outcome = await applyProjectedBatch({
      manager: dataSource.manager,
      schema: namespace.schema,
      consumerGroup: 'quiet',
      messages: batch(['a']),
      hold: new RecordingHold(),
      relay: { notify: () => void (notified += 1) },
      apply: async (fresh, transaction) => ({ result: fresh.length, published: await appendToOutbox(transaction, namespace.schema, []) }),
    });
    expect(outcome).toMatchObject({ held: false, applied: { result: 1, published: 0 } });
    expect(notified).toBe(0);
  });

  it('skips a redelivered batch: nothing applied, asked, published or told', async () => {
    const first = new RecordingHold();
    await project('again', batch(['a', 'b']), first, []);
    const hold = new RecordingHold();
    hold.held = true;
    const order: string[] = [];
    const { outcome, notified } = await project('again', batch(['a', 'b']), hold, order);
    expect(outcome).toEqual({ fresh: [], applied: null, held: false });
    expect(order).toEqual([]);
    expect(hold.calls).toEqual([]);
    expect(notified).toBe(0);
    expect(await outboxIds('again-')).toEqual(['again-a', 'again-b']);
  });

  it('tells neither relay nor hold when the batch fails, and stores nothing: the batch applies when it comes again', async () => {
    const hold = new RecordingHold();
    hold.held = true;
    let notified = 0;
    const failing = applyProjectedBatch({
      manager: dataSource.manager,
      schema: namespace.schema,
      consumerGroup: 'failing',
      messages: batch(['a']),
      hold,
      relay: { notify: () => void (notified += 1) },
      apply: async (fresh, transaction) => {
        await appendToOutbox(transaction, namespace.schema, [{ eventId: 'failing-a', topic: 'facts', key: 'a', payload: {} }]);
        throw new Error('constraint violated');
      },
    });
    await expect(failing).rejects.toThrow('constraint violated');
    expect(hold.calls.map(({ call }) => call)).toEqual(['holdsFacts']);
    expect(notified).toBe(0);
    expect(await outboxIds('failing-')).toEqual([]);
    const { outcome } = await project('failing', batch(['a']), new RecordingHold(), []);
    expect(outcome.fresh.map((message) => message.id)).toEqual(['a']);
  });
});

import { TOPICS } from '@touchstream/contracts';
import { gaugeValue } from '@touchstream/local-infra';
import type { SegmentFault } from '@touchstream/testing';
import { waitFor } from '@touchstream/testing';
import { acceptedSince, expectedCalls, type Fault, type FaultBench } from './fault-run';
import { NpmStart } from './npm-start';
import { poisonEvents, rawPoisonMessage } from './poison';
import { SERVICES, type ServiceName } from '../src/pipeline-services';

/**
 * The fault matrix: one fault at a time, each under the steady load (fault-run.ts). The ones
 * marked `ci` are the bounded subset `.ci/run` runs; `npm run test:faults` runs them all.
 */

const HOLD_MS = 120_000;

/** Until `count` more events were accepted after `since`: the load flowed on while the fault lasted. */
function moreAccepted(bench: FaultBench, fault: string, since: number, count: number, what: string): Promise<unknown> {
  return waitFor(() => acceptedSince(bench.load, fault, since) >= count, { timeoutMs: HOLD_MS, intervalMs: 200, description: what });
}

/** Until ingest failed `count` more requests (answered 5xx, refused or timed out). */
function moreRefused(bench: FaultBench, count: number, what: string): Promise<unknown> {
  const before = bench.load.failedRequests;
  return waitFor(() => bench.load.failedRequests >= before + count, { timeoutMs: HOLD_MS, intervalMs: 200, description: what });
}

function killAndRestart(victim: 'identity' | 'attribution' | 'segment-sink', ci = false): Fault {
  const name = `SIGKILL ${victim}, restart`;
  let killedAt = 0;
  return {
    name,
    ci,
    begin: async ({ pipeline }) => {
      killedAt = Date.now();
      await pipeline.kill(victim);
    },
    hold: (bench) => moreAccepted(bench, name, killedAt, 20, `20 events accepted while ${victim} is down`),
    end: async ({ pipeline }) => void (await pipeline.startService(victim)),
  };
}

/** The raw topic's end offsets before a broker restart: a broker that kept its data has them all still. */
function rawEndOffsetsKept(): { record: (bench: FaultBench) => Promise<void>; verify: (bench: FaultBench) => Promise<void> } {
  let before: Record<number, number> = {};
  return {
    record: async ({ watch }) => {
      before = await watch.endOffsets(TOPICS.rawEvents);
    },
    verify: async ({ watch }) => {
      const after = await watch.endOffsets(TOPICS.rawEvents);
      const lost = Object.entries(before).filter(([partition, end]) => (after[Number(partition)] ?? 0) < end);
      if (lost.length > 0)
        throw new Error(
          `the restarted broker lost raw events: end offsets ${JSON.stringify(before)} before, ${JSON.stringify(after)} after`,
        );
    },
  };
}

function brokerRestartKeepingData(): Fault {
  const kept = rawEndOffsetsKept();
  return {
    name: 'broker stopped and started, data kept',
    ci: true,
    begin: async (bench) => {
      await kept.record(bench);
      await bench.broker.stop();
    },
    hold: (bench) => moreRefused(bench, 3, 'ingest to refuse 3 requests while the broker is down'),
    end: ({ broker }) => broker.start(),
    verify: kept.verify,
  };
}

/**
 * An operator wipes the broker (`scripts/kafka reset`) under a pipeline whose Postgres keeps the
 * consumers' stored positions. Ingest stops first and the pipeline drains, so nothing accepted is
 * lost with the broker's log; then everything is stopped, the broker wiped and started, and the
 * services booted again (they provision their topics at boot). What ingest accepts afterwards must
 * all arrive: stored positions beyond the new, empty log must not make a consumer skip it.
 */
function brokerWiped(): Fault {
  const name = 'broker restarted with its data wiped';
  const notes: string[] = [];
  return {
    name,
    notes,
    begin: async ({ pipeline, load }) => {
      await pipeline.stopService('ingest');
      await drained(
        pipeline,
        load.of(name).filter((event) => event.acceptedAt !== undefined),
      );
      await pipeline.stopServices();
    },
    hold: async ({ broker }) => {
      await broker.stop();
      await broker.wipe();
      await broker.start();
    },
    end: ({ pipeline }) => pipeline.startServices({ together: true }),
    // The outcome chosen for a wiped log (docs/operations.md, "Stored positions and topic
    // incarnations"): each consumer notices its stored positions belong to a log that is gone,
    // says so in a metric, and reads the new topics from their start.
    verify: async ({ pipeline }) => {
      for (const service of ['identity', 'attribution'] as const) {
        const metrics = await (await fetch(`${pipeline.url(service)}/metrics`)).text();
        const resets = gaugeValue(metrics, 'touchstream_consumer_position_resets_total') ?? 0;
        notes.push(`${service} reset ${resets} stored positions of the wiped log`);
        if (resets === 0)
          throw new Error(`${service} counted no stored position of the wiped log (touchstream_consumer_position_resets_total)`);
      }
    },
  };
}

/** Until every accepted event's calls have arrived (the pipeline has nothing of them left in flight). */
async function drained(pipeline: FaultBench['pipeline'], events: ReadonlyArray<{ messageId: string; anonymousId: string }>): Promise<void> {
  await waitFor(
    () => {
      const arrived = new Set(pipeline.receiver.acceptedMessageIds());
      return events.every((event) => expectedCalls(event).every((call) => arrived.has(call)));
    },
    { timeoutMs: 180_000, intervalMs: 500, description: 'what ingest accepted before the wipe to arrive' },
  );
}

function postgresRestart(): Fault {
  const name = 'Postgres restarted';
  let stoppedAt = 0;
  return {
    name,
    ci: true,
    begin: async ({ postgres }) => {
      stoppedAt = Date.now();
      await postgres.stop();
    },
    hold: (bench) => moreAccepted(bench, name, stoppedAt, 20, '20 events accepted while Postgres is down'),
    end: ({ postgres }) => postgres.start(),
  };
}

/**
 * The Segment receiver answers every request with `fault` until it ends, held until the sink has
 * felt it: a batch refused again on its retry (a status), or a request the sink gave up waiting
 * for (a hang: its SINK_REQUEST_TIMEOUT_MS fired).
 */
function receiverFault(name: string, fault: SegmentFault, ci = false): Fault {
  let from = 0;
  const since = (bench: FaultBench) => bench.pipeline.receiver.requests().filter((request) => request.seq > from);
  const bitten = (bench: FaultBench): boolean => {
    if (fault.kind === 'hang') return since(bench).some((request) => request.outcome === 'aborted');
    const refusals = new Map<string, number>();
    for (const request of since(bench).filter((candidate) => candidate.outcome === 'faulted'))
      for (const event of request.events) refusals.set(String(event.messageId), (refusals.get(String(event.messageId)) ?? 0) + 1);
    return [...refusals.values()].some((count) => count >= 2);
  };
  return {
    name,
    ci,
    begin: ({ pipeline }) => {
      from = pipeline.receiver.requests().length;
      pipeline.receiver.failWhen(() => fault);
      return Promise.resolve();
    },
    hold: (bench) =>
      waitFor(() => bitten(bench), {
        timeoutMs: HOLD_MS,
        intervalMs: 200,
        description: fault.kind === 'hang' ? 'the sink to give up on a hanging request' : `a batch refused again on its retry (${name})`,
      }),
    end: ({ pipeline }) => {
      pipeline.receiver.failWhen(() => undefined);
      return Promise.resolve();
    },
  };
}

/**
 * Poison mixed into the load: each poison event sent to ingest on its own (it must be refused,
 * 4xx or a rejection, never accepted, never a 5xx), and the same kinds produced straight onto the
 * raw topic, where identity and attribution must dead-letter them and carry on.
 */
function poisonMixedIn(): Fault {
  const name = 'poison events mixed in';
  const answers: string[] = [];
  const notes: string[] = [];
  const deadLetteredBefore = { identity: 0, attribution: 0 };
  return {
    name,
    ci: true,
    notes,
    begin: async ({ pipeline, watch }) => {
      deadLetteredBefore.identity = await watch.deadLettered('identity');
      deadLetteredBefore.attribution = await watch.deadLettered('attribution');
      for (const poison of poisonEvents(pipeline.namespace.id)) {
        const response = await fetch(`${pipeline.url('ingest')}/v1/batch`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${pipeline.writeKey}:`).toString('base64')}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ batch: [poison.event] }),
        });
        const body = (await response.json().catch(() => ({}))) as { rejected?: unknown[] };
        const refused =
          (response.status >= 400 && response.status < 500) || (response.status === 200 && (body.rejected ?? []).length === 1);
        answers.push(`${poison.label}: ${response.status}${response.status === 200 ? (refused ? ' rejected' : ' ACCEPTED') : ''}`);
      }
      await watch.produce(TOPICS.rawEvents, poisonEvents(`${pipeline.namespace.id}-raw`).map(rawPoisonMessage));
    },
    hold: (bench) => moreAccepted(bench, name, Date.now(), 20, '20 more clean events accepted after the poison'),
    end: () => Promise.resolve(),
    verify: async ({ watch }) => {
      const identity = (await watch.deadLettered('identity')) - deadLetteredBefore.identity;
      const attribution = (await watch.deadLettered('attribution')) - deadLetteredBefore.attribution;
      notes.push(`ingest answered ${answers.join(', ')}`);
      notes.push(`dead-lettered from the raw topic: identity ${identity}, attribution ${attribution}`);
      const wrong = answers.filter((answer) => !/: 4\d\d$|: 200 rejected$/.test(answer));
      if (wrong.length > 0) throw new Error(`ingest did not refuse every poison event with a 4xx or a rejection: ${wrong.join(', ')}`);
    },
  };
}

/**
 * A second `npm start` on the same database: the first one (the suite's pipeline) is stopped as
 * its Ctrl-C does, services first, then the broker it started (scripts/kafka stop); then
 * scripts/start.mjs itself runs, finds no broker on the port, starts it through scripts/kafka (no
 * reset) and boots the four services at once. The load goes to its ingest until the figures are in.
 */
function secondNpmStart(): Fault {
  const kept = rawEndOffsetsKept();
  return {
    name: 'a second npm start on the same database',
    begin: async (bench) => {
      await kept.record(bench);
      await bench.pipeline.stopServices();
      await bench.broker.stop();
    },
    hold: (bench) => moreRefused(bench, 3, 'the load to find ingest gone'),
    end: async ({ broker, pipeline }) => {
      const npmStart = await NpmStart.start(pipeline.env('ingest'), broker.env);
      for (const service of Object.keys(SERVICES) as ServiceName[]) pipeline.adopt(service, npmStart.service(service));
    },
    verify: kept.verify,
    // Its Ctrl-C stops its services and the broker it started; the suite starts both again.
    release: ({ pipeline }) => pipeline.stopServices('SIGINT'),
  };
}

/**
 * In this order, so that a fault the pipeline does not survive spoils as few others as it can:
 * the broker's faults after the rest (a consumer skipping a re-created topic stays broken), and
 * poison last of all (raw-topic records stay there for good: a consumer that cannot get past one
 * stays stuck on it after every restart).
 */
export function faultMatrix(): Fault[] {
  return [
    killAndRestart('identity'),
    killAndRestart('attribution', true),
    killAndRestart('segment-sink'),
    postgresRestart(),
    receiverFault('Segment answers 500', { kind: 'status', status: 500 }),
    receiverFault('Segment answers 429 with Retry-After', { kind: 'status', status: 429, headers: { 'retry-after': '2' } }, true),
    receiverFault('Segment hangs', { kind: 'hang' }),
    brokerRestartKeepingData(),
    secondNpmStart(),
    brokerWiped(),
    poisonMixedIn(),
  ];
}

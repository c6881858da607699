// How far the pipeline is with what it was given, measured from outside: each consuming
// service's consumer-group lag on the broker and each outbox's pending rows from /metrics.
// The decision (settled or not) is tools/local-infra's settleVerdict.
import contracts from '@touchstream/contracts';
import kafkaLib from '@touchstream/kafka';
import localInfra from '@touchstream/local-infra';
import logging from '@touchstream/logging';

const { TOPICS } = contracts;
const { KafkaRuntime } = kafkaLib;
const { gaugeValue, settleVerdict, describeProgress } = localInfra;

/**
 * @param {object} options
 * @param {string[]} options.brokers
 * @param {string | undefined} options.topicPrefix
 * @param {Record<string, string>} options.urls service name -> base URL
 * @param {{ identity: string, attribution: string, 'segment-sink': string }} options.groups consumer group of each consuming service
 */
export function pipelineProgress({ brokers, topicPrefix, urls, groups }) {
  const runtime = new KafkaRuntime(
    { brokers, clientId: 'touchstream-demo', topicPrefix },
    new logging.Logger({ service: 'demo', level: 'error' }),
  );
  // In pipeline order, so that one look already covers everything upstream of each stage.
  const consumers = [
    { service: 'identity', topics: [TOPICS.rawEvents], outbox: true },
    { service: 'attribution', topics: [TOPICS.rawEvents, TOPICS.identityLinks], outbox: true },
    { service: 'segment-sink', topics: [TOPICS.userSources, TOPICS.touches], outbox: false },
  ];

  async function snapshot() {
    const result = { groups: [], outboxes: [] };
    for (const { service, topics, outbox } of consumers) {
      const groupId = groups[service];
      const partitions = await runtime.lag(
        groupId,
        topics.map((topic) => runtime.topic(topic)),
      );
      result.groups.push({
        service,
        groupId,
        lag: partitions.reduce((sum, partition) => sum + partition.lag, 0),
        endOffsets: partitions.reduce((sum, partition) => sum + partition.end, 0),
      });
      if (!outbox) continue;
      const metrics = await (await fetch(`${urls[service]}/metrics`)).text();
      const pending = gaugeValue(metrics, 'touchstream_outbox_pending');
      if (pending === undefined) throw new Error(`${service} at ${urls[service]} does not report touchstream_outbox_pending`);
      result.outboxes.push({ service, pending });
    }
    return result;
  }

  /** Polls until settled; reports each change of progress; throws after `timeoutMs`. */
  async function settled({ report, timeoutMs, intervalMs = 1_000 }) {
    const deadline = Date.now() + timeoutMs;
    let previous;
    let said = '';
    for (;;) {
      const current = await snapshot();
      const verdict = settleVerdict(previous, current);
      if (verdict.settled) return current;
      const line = describeProgress(current);
      if (line !== said) report(line);
      said = line;
      previous = current;
      if (Date.now() > deadline) throw new Error(`the pipeline did not settle; still waiting for ${verdict.waitingFor.join(', ')}`);
      await new Promise((done) => setTimeout(done, intervalMs));
    }
  }

  return { snapshot, settled, close: () => runtime.shutdown() };
}

import { GenericContainer, Wait, type InspectResult, type StartedTestContainer } from 'testcontainers';

/** The port the tests connect to, published on the host. */
export const KAFKA_CLIENT_PORT = 9092;
const STARTER = '/tmp/touchstream-kafka-start.sh';
const WAITING = 'touchstream: waiting for the starter script';
const READY_TIMEOUT_MS = 180_000;

/**
 * A single-node KRaft broker from the official apache/kafka image (what docker-compose.yml runs).
 * @testcontainers/kafka only drives Confluent's cp-kafka images. The advertised listener must
 * name the host port, which is only known once the container runs: the container waits for a
 * starter script that exports it and then runs the image's own /etc/kafka/docker/run.
 */
export class ApacheKafkaContainer extends GenericContainer {
  constructor(image = 'apache/kafka:4.4.0') {
    super(image);
    this.withExposedPorts(KAFKA_CLIENT_PORT)
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,BROKER://:9093,CONTROLLER://:9094',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT',
        KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9094',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        // As scripts/kafka: a missing topic fails loudly in the tests too.
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
        KAFKA_HEAP_OPTS: '-Xmx512m -Xms512m',
      })
      .withEntrypoint(['sh'])
      .withCommand(['-c', `echo '${WAITING}'; while [ ! -f ${STARTER} ]; do sleep 0.1; done; exec ${STARTER}`])
      .withWaitStrategy(Wait.forLogMessage(WAITING))
      .withStartupTimeout(READY_TIMEOUT_MS);
  }

  protected override async containerStarted(container: StartedTestContainer, inspectResult: InspectResult): Promise<void> {
    const advertised = `PLAINTEXT://${container.getHost()}:${container.getMappedPort(KAFKA_CLIENT_PORT)},BROKER://${inspectResult.hostname}:9093`;
    await container.copyContentToContainer([
      {
        content: `#!/bin/bash\nexport KAFKA_ADVERTISED_LISTENERS=${advertised}\nexec /etc/kafka/docker/run\n`,
        target: STARTER,
        mode: 0o755,
      },
    ]);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const probe = await container.exec(['/opt/kafka/bin/kafka-broker-api-versions.sh', '--bootstrap-server', 'localhost:9093']);
      if (probe.exitCode === 0) return;
      if (Date.now() > deadline) throw new Error(`apache/kafka did not answer within ${READY_TIMEOUT_MS} ms:\n${probe.output}`);
      await new Promise((done) => setTimeout(done, 1_000));
    }
  }
}

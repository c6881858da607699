import { randomBytes } from 'node:crypto';
import {
  dropSchema,
  startSegmentReceiver,
  startServiceProcess,
  testInfrastructure,
  testNamespace,
  type SegmentReceiver,
  type ServiceProcess,
} from '@touchstream/testing';
import { SERVICES, type ServiceName } from './pipeline-services';

export { SERVICES, type ServiceName };

/**
 * The whole pipeline as `npm start` runs it: the four compiled services as processes on the real
 * broker and Postgres (their own topic prefix and schemas), the sink pointed at a local Segment
 * receiver. Services can be killed and restarted one by one.
 */
export class Pipeline {
  readonly writeKey = `wk-${randomBytes(6).toString('hex')}`;
  readonly segmentWriteKey = `seg-${randomBytes(6).toString('hex')}`;
  readonly debugToken = randomBytes(16).toString('hex');
  readonly adminToken = randomBytes(16).toString('hex');
  readonly namespace: ReturnType<typeof testNamespace>;
  receiver!: SegmentReceiver;
  private readonly running = new Map<ServiceName, ServiceProcess>();
  /** Instances started beside the first of their service (scale-out), in the same consumer group. */
  private readonly extra = new Set<ServiceProcess>();

  constructor(
    label: string,
    private readonly extraEnv: Record<string, string> = {},
  ) {
    this.namespace = testNamespace(label);
  }

  /**
   * Consumer groups are not prefixed like topics: each pipeline names its own, so spec files that
   * run at the same time never join one another's groups.
   */
  consumerGroup(service: Exclude<ServiceName, 'ingest'>): string {
    return `${this.namespace.id}-${service}`;
  }

  env(service: ServiceName): Record<string, string> {
    const { kafkaBrokers, databaseUrl } = testInfrastructure();
    const schemas = this.schemas();
    return {
      KAFKA_BROKERS: kafkaBrokers,
      KAFKA_TOPIC_PREFIX: this.namespace.topicPrefix,
      KAFKA_TOPIC_PARTITIONS: '3',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: '4',
      IDENTITY_DB_SCHEMA: schemas.identity,
      ATTRIBUTION_DB_SCHEMA: schemas.attribution,
      SINK_DB_SCHEMA: schemas.sink,
      IDENTITY_CONSUMER_GROUP: this.consumerGroup('identity'),
      ATTRIBUTION_CONSUMER_GROUP: this.consumerGroup('attribution'),
      SINK_CONSUMER_GROUP: this.consumerGroup('segment-sink'),
      DEBUG_TOKEN: this.debugToken,
      ADMIN_TOKEN: this.adminToken,
      INGEST_WRITE_KEYS: this.writeKey,
      SEGMENT_WRITE_KEY: this.segmentWriteKey,
      SEGMENT_API_HOST: this.receiver.url,
      SINK_FLUSH_INTERVAL_MS: '100',
      SITE_DOMAINS: 'shop.example',
      LOG_LEVEL: 'warn',
      ...this.extraEnv,
      SERVICE_UNDER_TEST: service,
    };
  }

  async start(): Promise<void> {
    this.receiver = await startSegmentReceiver({ writeKey: this.segmentWriteKey });
    await this.startServices();
  }

  /**
   * Sequentially by default: each boot provisions topics and migrates its schema; two cores.
   * `together` boots them all at once, as `npm start` does.
   */
  async startServices(options: { together?: boolean } = {}): Promise<void> {
    const services = Object.keys(SERVICES) as ServiceName[];
    if (options.together) await Promise.all(services.map((service) => this.startService(service)));
    else for (const service of services) await this.startService(service);
  }

  /** Stops every running service with `signal`, last started first (the receiver and the schemas stay). */
  async stopServices(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    for (const service of [...this.running.keys()].reverse()) await this.stopService(service, signal);
  }

  /** What each running service has printed so far (kept when a fault fails, to see why). */
  outputs(): Array<{ service: ServiceName; output: string }> {
    return [...this.running].map(([service, running]) => ({ service, output: running.output() }));
  }

  /** Services whose process exited although nobody stopped it (a crash or a fatal error), with its output. */
  exited(): Array<{ service: ServiceName; code: number | null; output: string }> {
    return [...this.running]
      .filter(([, running]) => running.child.exitCode !== null || running.child.signalCode !== null)
      .map(([service, running]) => ({ service, code: running.child.exitCode, output: running.output() }));
  }

  async startService(service: ServiceName): Promise<ServiceProcess> {
    const running = await startServiceProcess(service, this.env(service), SERVICES[service]);
    this.running.set(service, running);
    return running;
  }

  /** Takes over a service something else started (the same service, as `npm start` runs it): stopService stops it. */
  adopt(service: ServiceName, running: ServiceProcess): void {
    this.running.set(service, running);
  }

  /**
   * One more instance of a service, with the same settings (so the same consumer group). It is
   * ready once its consumers joined: after the group's rebalance, which waits for every member to
   * finish its batch in flight, hence the longer wait.
   */
  async startInstance(service: ServiceName): Promise<ServiceProcess> {
    const running = await startServiceProcess(service, this.env(service), SERVICES[service], { readyTimeoutMs: 180_000 });
    this.extra.add(running);
    return running;
  }

  /** Stops an instance as an orchestrator scaling down would: SIGTERM, so it leaves its group. */
  async stopInstance(instance: ServiceProcess): Promise<number | null> {
    this.extra.delete(instance);
    return instance.stop('SIGTERM');
  }

  url(service: ServiceName): string {
    const running = this.running.get(service);
    if (!running) throw new Error(`${service} is not running`);
    return running.url;
  }

  /** SIGKILL: no shutdown hook runs, as in a crash. */
  kill(service: ServiceName): Promise<void> {
    return this.stopService(service, 'SIGKILL');
  }

  async stopService(service: ServiceName, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.running.get(service)?.stop(signal);
    this.running.delete(service);
  }

  isRunning(service: ServiceName): boolean {
    return this.running.has(service);
  }

  async debugGet<T>(service: ServiceName, path: string): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.url(service)}${path}`, { headers: { authorization: `Bearer ${this.debugToken}` } });
    return { status: response.status, body: (await response.json()) as T };
  }

  async debugPost<T>(service: ServiceName, path: string, body: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.url(service)}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.debugToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  /** Stops every service and the receiver, then drops the pipeline's schemas (each run left three behind). */
  async stop(): Promise<void> {
    for (const instance of [...this.extra]) await this.stopInstance(instance);
    await this.stopServices('SIGTERM');
    await this.receiver?.close();
    const { databaseUrl } = testInfrastructure();
    for (const schema of Object.values(this.schemas())) await dropSchema(databaseUrl, schema);
  }

  /** The services' schemas, under the pipeline's namespace. */
  private schemas(): { identity: string; attribution: string; sink: string } {
    const schema = (name: string) => `${this.namespace.schema}_${name}`.slice(0, 63);
    return { identity: schema('identity'), attribution: schema('attribution'), sink: schema('sink') };
  }
}

import { createRequire } from 'node:module';
import type { KafkaConfig } from 'kafkajs';

/**
 * One request kafkajs cannot build itself (topic-ids.ts: Metadata v12), sent over kafkajs's own
 * connection machinery. Its Broker connects exactly as every kafkajs client here does: TLS through
 * node:tls with the options securityOptions() gives the clients (server name = host, certificate
 * verified, the configured CA and client certificate), ApiVersions, then the SASL handshake and
 * login (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). So the request gets the clients' security without a
 * second TLS/SASL implementation to keep in step.
 *
 * These modules are kafkajs internals, not its public API. That is sound only because package.json
 * pins kafkajs at exactly 2.2.4 (no range) and only inside libs/kafka, the one place kafkajs is
 * imported; broker-compat.int.spec.ts reads the same internals. A kafkajs upgrade must re-check
 * these paths and signatures: sasl-ssl.int.spec.ts and kafka.int.spec.ts read topic ids through here.
 */
const kafkajs = createRequire(__filename);

interface InternalLogger {
  namespace(name: string): InternalLogger;
}

interface InternalEncoder {
  writeBuffer(value: Buffer): InternalEncoder;
}

/** What kafkajs's Connection#send takes: its request/response protocol objects. */
export interface RawRequest<T> {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  /** The request body after the classic header (api key, version, correlation id, client id). */
  body: Buffer;
  /** Reads the response from after its correlation id. */
  decode(payload: Buffer): T;
}

interface InternalBroker {
  versions: Record<number, { minVersion: number; maxVersion: number } | undefined> | null;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

interface InternalConnectionPool {
  send(protocol: { request: object; response: object }): Promise<unknown>;
}

const Broker = kafkajs('kafkajs/src/broker') as new (options: object) => InternalBroker;
const ConnectionPool = kafkajs('kafkajs/src/network/connectionPool') as new (options: object) => InternalConnectionPool;
const Encoder = kafkajs('kafkajs/src/protocol/encoder') as new () => InternalEncoder;
const socketFactory = kafkajs('kafkajs/src/network/socketFactory') as () => unknown;
const { createLogger } = kafkajs('kafkajs/src/loggers') as { createLogger: (options: object) => InternalLogger };

/** Silent: every failure reaches the caller as the thrown error, which the caller reports. */
const quiet = createLogger({ level: 0, logCreator: () => () => undefined });

export interface RawConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  /** For connecting, for the login and for the answer. */
  timeoutMs: number;
  security: Pick<KafkaConfig, 'ssl' | 'sasl'>;
}

/** The API versions the broker speaks (from the ApiVersions exchange kafkajs makes on connect). */
export type BrokerVersions = (apiKey: number) => { minVersion: number; maxVersion: number } | undefined;

/**
 * Connects (TLS and SASL as configured), lets `use` check the broker's API versions and send,
 * then disconnects whatever happened.
 */
export async function withKafkajsConnection<T>(
  options: RawConnectionOptions,
  use: (versions: BrokerVersions, send: <R>(request: RawRequest<R>) => Promise<R>) => Promise<T>,
): Promise<T> {
  const connectionPool = new ConnectionPool({
    host: options.host,
    port: options.port,
    clientId: options.clientId,
    logger: quiet,
    socketFactory: socketFactory(),
    connectionTimeout: options.timeoutMs,
    requestTimeout: options.timeoutMs,
    // A fresh object per connection: kafkajs stores its SASL authenticator on it.
    ssl: options.security.ssl ?? null,
    sasl: options.security.sasl ? { ...options.security.sasl } : null,
  });
  const broker = new Broker({ connectionPool, logger: quiet, authenticationTimeout: options.timeoutMs, allowAutoTopicCreation: false });
  try {
    await broker.connect();
    const versions: BrokerVersions = (apiKey) => broker.versions?.[apiKey];
    const send = async <R>(request: RawRequest<R>): Promise<R> => {
      const answer = (await connectionPool.send({
        request: {
          apiKey: request.apiKey,
          apiVersion: request.apiVersion,
          apiName: request.apiName,
          encode: () => Promise.resolve(new Encoder().writeBuffer(request.body)),
        },
        response: {
          // kafkajs looks for a throttle time on the decoded answer; none is asked for here.
          decode: (payload: Buffer) => Promise.resolve({ value: request.decode(payload), clientSideThrottleTime: null }),
          parse: (decoded: { value: R }) => Promise.resolve(decoded),
        },
      })) as { value: R };
      return answer.value;
    };
    return await use(versions, send);
  } finally {
    await broker.disconnect().catch(() => undefined);
  }
}

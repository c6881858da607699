import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identifyMessageId } from '@touchstream/segment-delivery';
import {
  dropSchema,
  expectServiceBootsAndStops,
  startServiceProcess,
  testInfrastructure,
  testNamespace,
  waitFor,
} from '@touchstream/testing';
import { debugHeaders, facts, sinkEnv, TestTopics, touchData } from './testing/harness';

describe('segment-sink process', () => {
  const namespace = testNamespace('segment-sink-boot');
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'segment-sink-'));
  });

  afterAll(async () => {
    await dropSchema(testInfrastructure().databaseUrl, namespace.schema);
    await rm(directory, { recursive: true, force: true });
  });

  it('boots on the real broker, answers /health, /ready and /metrics, and exits 0 on SIGTERM', async () => {
    await expectServiceBootsAndStops(
      'segment-sink',
      sinkEnv(namespace, null, { SINK_DRY_RUN_FILE: join(directory, 'boot.ndjson') }),
      'SINK_PORT',
    );
  });

  it('runs dry without SEGMENT_WRITE_KEY: batches go to an NDJSON file, one request body per line', async () => {
    const topics = new TestTopics(namespace);
    await topics.start();
    const file = join(directory, 'dry-run.ndjson');
    const touch = touchData({ touchId: 'dry-touch', anonymousId: 'dry-anon', userId: 'dry-user' });
    await topics.publishFacts([facts('dry-user', 1, touch, touch)]);
    const running = await startServiceProcess(
      'segment-sink',
      sinkEnv(namespace, null, { SINK_DRY_RUN_FILE: file, SINK_CONSUMER_GROUP: `${namespace.id}-dry` }),
      'SINK_PORT',
    );
    try {
      const lines = await waitFor(
        async () => {
          const text = await readFile(file, 'utf8');
          return text.includes(identifyMessageId('user', 'dry-user', 1)) && text.trim().split('\n');
        },
        { description: 'the dry-run file' },
      );
      const batches = lines.map((line) => JSON.parse(line) as { batch: Array<{ messageId: string; userId?: string }>; sentAt: string });
      expect(batches.flatMap((body) => body.batch.map((event) => event.messageId))).toContain(identifyMessageId('user', 'dry-user', 1));
      expect(batches.every((body) => typeof body.sentAt === 'string')).toBe(true);
      const status = (await (await fetch(`${running.url}/segment/status`, { headers: debugHeaders() })).json()) as {
        dryRun: boolean;
        target: string;
      };
      expect(status).toMatchObject({ dryRun: true, target: `dry run to ${file}` });
    } finally {
      expect(await running.stop('SIGTERM'), running.output()).toBe(0);
      await topics.stop();
    }
  });
});

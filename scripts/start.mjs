#!/usr/bin/env node
// `npm start`: the whole pipeline on one machine with embedded defaults. Finds or starts Kafka
// (scripts/kafka) and Postgres (local server, else embedded), runs the four services (each
// migrates its own schema at boot), prints where they listen, and on Ctrl-C stops everything it
// started, services first. The starting and stopping is scripts/local-pipeline.mjs, shared with
// `npm run demo`.
import { LocalPipeline } from './local-pipeline.mjs';
import { writeRunInfo } from './run-info.mjs';

const log = (line) => process.stdout.write(`[touchstream] ${line}\n`);

const pipeline = new LocalPipeline({
  log,
  onUnexpectedExit: (service, reason) => {
    log(`${service} kept exiting (last: ${reason}) and used up its restarts; stopping the rest`);
    void shutdown(1);
  },
});

async function main() {
  await pipeline.start();
  if (pipeline.stopping) return;

  const { env, generated } = pipeline;
  const urls = pipeline.urls();
  writeRunInfo({
    urls,
    debugToken: env.DEBUG_TOKEN,
    adminToken: env.ADMIN_TOKEN,
    writeKey: pipeline.writeKey,
    dryRunFile: pipeline.dryRunFile,
  });
  log('ready:');
  for (const [name, url] of Object.entries(urls)) log(`  ${name.padEnd(13)} ${url}`);
  if (generated.DEBUG_TOKEN) log(`DEBUG_TOKEN (generated for this run): ${generated.DEBUG_TOKEN}`);
  if (generated.ADMIN_TOKEN)
    log(`ADMIN_TOKEN (generated for this run, written to .cache/run.json for npm run replay): ${generated.ADMIN_TOKEN}`);
  if (generated.INGEST_WRITE_KEYS) log(`INGEST_WRITE_KEYS (generated for this run): ${generated.INGEST_WRITE_KEYS}`);
  if (!process.env.SEGMENT_WRITE_KEY) log('segment-sink runs in dry-run mode (set SEGMENT_WRITE_KEY to send to Segment)');
  log('send a first event:');
  log(
    `  curl -u '${pipeline.writeKey}:' -H 'Content-Type: application/json' ${urls.ingest}/v1/page ` +
      `-d '{"anonymousId":"visitor-1","properties":{"url":"https://example.com/?utm_source=newsletter&utm_medium=email"}}'`,
  );
  log('press Ctrl-C to stop');
}

let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  await pipeline.stop();
  log('stopped');
  process.exit(code);
}

process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));
main().catch(async (error) => {
  log(`failed: ${error.message}`);
  await shutdown(1);
});

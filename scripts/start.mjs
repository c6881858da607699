#!/usr/bin/env node
// `npm start`: the whole pipeline on one machine with embedded defaults. Finds or starts Kafka
// (scripts/kafka) and Postgres (local server, else embedded), runs the four services (each
// migrates its own schema at boot), prints where they listen, and on Ctrl-C stops everything it
// started, services first.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import localInfra from '@touchstream/local-infra';
import { writeRunInfo } from './run-info.mjs';

const { REPO_ROOT, provideKafka, providePostgres, stopAll } = localInfra;
const log = (line) => process.stdout.write(`[touchstream] ${line}\n`);

const SERVICES = [
  { name: 'ingest', portVariable: 'INGEST_PORT', port: 3000 },
  { name: 'identity', portVariable: 'IDENTITY_PORT', port: 3001 },
  { name: 'attribution', portVariable: 'ATTRIBUTION_PORT', port: 3002 },
  { name: 'segment-sink', portVariable: 'SINK_PORT', port: 3003 },
];

const started = [];
const children = new Map();
let stopping = false;

async function main() {
  const kafka = await provideKafka(log);
  if (kafka.started) started.push(kafka.started);
  const postgres = await providePostgres('touchstream', log);
  if (postgres.started) started.push(postgres.started);

  const generated = {};
  if (!process.env.DEBUG_TOKEN) generated.DEBUG_TOKEN = randomBytes(24).toString('hex');
  if (!process.env.INGEST_WRITE_KEYS) generated.INGEST_WRITE_KEYS = `dev-${randomBytes(12).toString('hex')}`;
  const env = { ...process.env, KAFKA_BROKERS: kafka.value, DATABASE_URL: postgres.value, ...generated };

  for (const service of SERVICES) {
    const entry = resolve(REPO_ROOT, 'services', service.name, 'dist', 'main.js');
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build"`);
    const port = process.env[service.portVariable] ?? String(service.port);
    const child = spawn(process.execPath, [entry], {
      env: { ...env, [service.portVariable]: port },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.set(service.name, { child, port });
    child.once('exit', (code, signal) => {
      children.delete(service.name);
      if (!stopping) {
        log(`${service.name} exited (${signal ?? code}); stopping the rest`);
        void shutdown(1);
      }
    });
  }
  await Promise.all([...children].map(([name, { port }]) => waitReady(name, port)));

  const ingest = children.get('ingest')?.port ?? '3000';
  writeRunInfo({
    urls: Object.fromEntries([...children].map(([name, { port }]) => [name, `http://127.0.0.1:${port}`])),
    debugToken: env.DEBUG_TOKEN,
    writeKey: env.INGEST_WRITE_KEYS.split(',')[0],
    dryRunFile: env.SINK_DRY_RUN_FILE ?? resolve(REPO_ROOT, '.cache', 'segment-dry-run.ndjson'),
  });
  log('ready:');
  for (const [name, { port }] of children) log(`  ${name.padEnd(13)} http://127.0.0.1:${port}`);
  if (generated.DEBUG_TOKEN) log(`DEBUG_TOKEN (generated for this run): ${generated.DEBUG_TOKEN}`);
  if (generated.INGEST_WRITE_KEYS) log(`INGEST_WRITE_KEYS (generated for this run): ${generated.INGEST_WRITE_KEYS}`);
  if (!process.env.SEGMENT_WRITE_KEY) log('segment-sink runs in dry-run mode (set SEGMENT_WRITE_KEY to send to Segment)');
  log('send a first event:');
  log(
    `  curl -u '${env.INGEST_WRITE_KEYS.split(',')[0]}:' -H 'Content-Type: application/json' http://127.0.0.1:${ingest}/v1/page ` +
      `-d '{"anonymousId":"visitor-1","properties":{"url":"https://example.com/?utm_source=newsletter&utm_medium=email"}}'`,
  );
  log('press Ctrl-C to stop');
}

async function waitReady(name, port) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (stopping) return;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/ready`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not become ready on port ${port} within 120 s`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  log('stopping services');
  await Promise.all(
    [...children.values()].map(
      ({ child }) =>
        new Promise((done) => {
          child.once('exit', done);
          child.kill('SIGTERM');
        }),
    ),
  );
  await stopAll(started, log);
  log('stopped');
  process.exit(code);
}

process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));
main().catch(async (error) => {
  log(`failed: ${error.message}`);
  await shutdown(1);
});

#!/usr/bin/env node
// `npm run demo [-- --users 200 --days 30 --seed demo]`: generates a small synthetic Segment
// archive, imports it into the pipeline `npm start` runs (or, when none answers, starts one the
// same way and stops it again at the end), waits until every consumer group has caught up and
// every outbox is drained, then prints a few users' first and last touch, the channel mix of
// first touches over all users, and where the dry-run Segment batches were written.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import localInfra from '@touchstream/local-infra';
import syntheticData from '@touchstream/synthetic-data';
import { pipelineProgress } from './demo/pipeline-progress.mjs';
import { LocalPipeline, SERVICES } from './local-pipeline.mjs';
import { readRunInfo } from './run-info.mjs';

const {
  REPO_ROOT,
  LOCAL_KAFKA_PORT,
  renderTable,
  touchRows,
  pickSubjects,
  channelMix,
  mixRows,
  truthAgreement,
  TOUCH_COLUMNS,
  MIX_COLUMNS,
} = localInfra;
const { SITE } = syntheticData;
/** The generated site's own domains and its payment page: without them its own pages would count as referrals. */
const SITE_ENV = { SITE_DOMAINS: SITE.domains.join(','), UNWANTED_REFERRALS: SITE.unwantedReferrals.join(',') };
const log = (line) => process.stdout.write(`[demo] ${line}\n`);
const SHOWN_USERS = 5;
const SETTLE_TIMEOUT_MS = 15 * 60_000;

const DEMO_HELP = `usage: npm run demo -- [--users 200] [--days 30] [--seed demo]

Generates a synthetic Segment archive, imports it into the pipeline \`npm start\` runs (or starts
one and stops it at the end), waits until everything has settled, then prints a few users' first
and last touch and the channel mix of first touches. Nothing is sent to Segment (dry run).

Options:
  --users <n>    people who visit the generated site (default 200)
  --days <n>     days their first visits are spread over (default 30)
  --seed <seed>  the same seed gives the same archive (default demo)
  -h, --help     this help
`;

let flags;
try {
  ({ values: flags } = parseArgs({
    options: {
      users: { type: 'string', default: '200' },
      days: { type: 'string', default: '30' },
      seed: { type: 'string', default: 'demo' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  process.stderr.write(`demo: ${error.message}\n${DEMO_HELP.split('\n')[0]}\n`);
  process.exit(2);
}
if (flags.help) {
  process.stdout.write(DEMO_HELP);
  process.exit(0);
}
for (const name of ['users', 'days']) {
  if (!/^[1-9]\d*$/.test(flags[name])) {
    process.stderr.write(`demo: --${name} must be a positive whole number, got "${flags[name]}"\n`);
    process.exit(2);
  }
}
const workDir = resolve(REPO_ROOT, '.cache', 'demo');
const archive = resolve(workDir, `archive-${flags.users}u-${flags.days}d-${flags.seed}.ndjson.gz`);
const truthFile = resolve(workDir, `truth-${flags.users}u-${flags.days}d-${flags.seed}.ndjson`);

let own; // the pipeline this demo started, if it had to
let servicesLog;

async function answersReady(url) {
  try {
    return (await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2_000) })).status === 200;
  } catch {
    return false;
  }
}

/** The pipeline `npm start` runs (from .cache/run.json and the environment), else one of our own. */
async function findOrStartPipeline() {
  const info = readRunInfo();
  const answering = await Promise.all(SERVICES.map(({ name }) => answersReady(info.urls[name])));
  if (answering.every(Boolean)) {
    if (!info.debugToken) throw new Error('a pipeline answers, but its DEBUG_TOKEN is unknown: set DEBUG_TOKEN to the one it uses');
    log(`using the running pipeline (ingest ${info.urls.ingest})`);
    return {
      urls: info.urls,
      debugToken: info.debugToken,
      brokers: process.env.KAFKA_BROKERS ?? `127.0.0.1:${LOCAL_KAFKA_PORT}`,
      dryRunFile: info.dryRunFile,
    };
  }
  if (answering.some(Boolean)) {
    const down = SERVICES.filter((_, index) => !answering[index]).map(({ name }) => name);
    throw new Error(`part of a pipeline answers, but not ${down.join(', ')}: start it completely (npm start) or stop it`);
  }
  mkdirSync(workDir, { recursive: true });
  const logFile = resolve(workDir, 'services.log');
  servicesLog = openSync(logFile, 'a');
  log(`no pipeline answers: starting one (services log to ${logFile})`);
  own = new LocalPipeline({
    log,
    output: servicesLog,
    // Synthetic people must never reach a real Segment workspace.
    env: { SEGMENT_WRITE_KEY: '', SINK_DRY_RUN: 'true', SEGMENT_PROXY: 'false', ...SITE_ENV },
    onUnexpectedExit: (service, reason) => {
      log(`${service} exited (${reason}); see ${logFile}`);
      void finish(1);
    },
  });
  await own.start();
  return { urls: own.urls(), debugToken: own.env.DEBUG_TOKEN, brokers: own.env.KAFKA_BROKERS, dryRunFile: own.dryRunFile };
}

function run(script, args, env = process.env) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve(REPO_ROOT, script), ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', fail);
    child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`${script} exited with ${code}`))));
  });
}

async function debugGet(pipeline, service, path) {
  const response = await fetch(`${pipeline.urls[service]}${path}`, { headers: { authorization: `Bearer ${pipeline.debugToken}` } });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`${service} answered ${response.status} to GET ${path}: ${await response.text()}`);
  return response.json();
}

/** Whether attribution treats the generated site as the site: moving from www. to app. and back from payment are no touches. */
async function knowsTheSite(pipeline) {
  const referrers = [SITE.marketingOrigin, `https://${SITE.unwantedReferrals[0]}/`];
  for (const referrer of referrers) {
    const response = await fetch(`${pipeline.urls.attribution}/attribution/classify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${SITE.appOrigin}/welcome`, referrer }),
    });
    if (!response.ok) throw new Error(`attribution answered ${response.status} to POST /attribution/classify`);
    if (!(await response.json()).internal) return false;
  }
  return true;
}

function batchesIn(file) {
  if (!file || !existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

async function main() {
  const pipeline = await findOrStartPipeline();
  const sink = await debugGet(pipeline, 'segment-sink', '/segment/status');
  if (!sink?.dryRun)
    throw new Error('the running segment-sink sends to Segment (SEGMENT_WRITE_KEY is set): the demo would send synthetic people there');
  if (!own && !(await knowsTheSite(pipeline)))
    throw new Error(
      `the running attribution does not know the generated site: restart it with ${Object.entries(SITE_ENV)
        .map(([name, value]) => `${name}=${value}`)
        .join(' ')} (or stop it, and the demo starts its own)`,
    );

  log(`generating ${flags.users} people over ${flags.days} days (seed ${flags.seed})`);
  await run('services/archive-import/dist/generate.cli.js', [
    ...['--users', flags.users, '--days', flags.days, '--seed', flags.seed],
    ...['--out', archive, '--truth', truthFile],
  ]);
  const batchesBefore = batchesIn(pipeline.dryRunFile).length;
  log('importing it into the raw topic');
  await run('services/archive-import/dist/import.cli.js', [archive, '--no-checkpoint'], {
    ...process.env,
    KAFKA_BROKERS: pipeline.brokers,
  });

  log('waiting for the pipeline to settle (consumer lag 0 on every group, outboxes drained)');
  const progress = pipelineProgress({
    brokers: pipeline.brokers.split(','),
    topicPrefix: process.env.KAFKA_TOPIC_PREFIX || undefined,
    urls: pipeline.urls,
    groups: {
      identity: process.env.IDENTITY_CONSUMER_GROUP || 'identity',
      attribution: process.env.ATTRIBUTION_CONSUMER_GROUP || 'attribution',
      'segment-sink': sink.consumerGroup,
    },
  });
  const waitStarted = Date.now();
  try {
    await progress.settled({ report: (line) => log(`  ${line}`), timeoutMs: SETTLE_TIMEOUT_MS });
  } finally {
    await progress.close();
  }
  log(`settled after ${((Date.now() - waitStarted) / 1000).toFixed(1)} s`);

  const people = readFileSync(truthFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  const userIds = people.flatMap((person) => person.userId ?? []);
  const users = [];
  let lastTouchModel = 'last-non-direct';
  for (const userId of userIds) {
    const view = await debugGet(pipeline, 'attribution', `/attribution/users/${encodeURIComponent(userId)}`);
    users.push({ id: userId, firstTouch: view?.firstTouch ?? null, lastTouch: view?.lastTouch ?? null });
    lastTouchModel = view?.lastTouchModel ?? lastTouchModel;
  }
  const planted = new Map(
    people
      .filter((person) => person.userId && person.firstTouch)
      .map((person) => [
        person.userId,
        {
          firstMessageId: person.firstTouch.messageId,
          lastMessageId: (lastTouchModel === 'last-touch' ? person.lastTouch : person.lastNonDirectTouch).messageId,
        },
      ]),
  );
  const agreement = truthAgreement(users, planted);
  const attributed = users.filter((user) => user.firstTouch !== null).length;
  process.stdout.write(`\nFirst and last touch of ${SHOWN_USERS} of ${userIds.length} users (GET /attribution/users/:userId)\n`);
  process.stdout.write(`${renderTable(TOUCH_COLUMNS, touchRows(pickSubjects(users, SHOWN_USERS)))}\n`);
  process.stdout.write(`\nChannel mix of first touches over all ${attributed} attributed users\n`);
  process.stdout.write(`${renderTable(MIX_COLUMNS, mixRows(channelMix(users)))}\n\n`);
  log(
    `${agreement.agreeing} of ${agreement.total} users have exactly the first and last touch the generator planted (${lastTouchModel})` +
      (agreement.disagreeing.length > 0 ? `; not: ${agreement.disagreeing.slice(0, 10).join(', ')}` : ''),
  );

  const written = batchesIn(pipeline.dryRunFile).slice(batchesBefore);
  const events = written.reduce((sum, line) => sum + (JSON.parse(line).batch?.length ?? 0), 0);
  log(`Segment batches (dry run): ${pipeline.dryRunFile}`);
  if (written.length > 0) log(`  ${written.length} batches with ${events} identify and track calls written during this demo`);
  else log('  no new batches: the sink had sent all of this before (an earlier demo imported the same archive)');
}

let finishing = false;
async function finish(code) {
  if (finishing) return;
  finishing = true;
  if (own) await own.stop();
  if (servicesLog !== undefined) closeSync(servicesLog);
  process.exit(code);
}

process.once('SIGINT', () => void finish(130));
process.once('SIGTERM', () => void finish(143));
main().then(
  () => finish(0),
  async (error) => {
    log(`failed: ${error.message}`);
    await finish(1);
  },
);

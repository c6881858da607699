#!/usr/bin/env node
// `npm run replay -- [--from earliest|<ISO-8601>] [--services identity,attribution,sink]`
// Asks each chosen service to replay its consumer group (POST /admin/replay): it stops its
// consumers, rewinds the group, rebuilds its projection from earliest (publishing only what
// differs from what it published before) or re-applies from a time, and starts them again. Then
// prints the consumer lag until every group has caught up. Where the services listen and the
// tokens come from a running `npm start` (.cache/run.json) or the environment (IDENTITY_PORT,
// ATTRIBUTION_PORT, SINK_PORT, ADMIN_TOKEN to start a replay, DEBUG_TOKEN to follow it). See docs/decisions/0009-replay.md.
import replayCli from '@touchstream/eventing/dist/replay/replay-cli.js';
import { readRunInfo } from './run-info.mjs';

const { parseReplayArgs, ReplayUsageError, REPLAY_HELP, wantsReplayHelp } = replayCli;

function fail(message, code = 1) {
  process.stderr.write(`replay: ${message}\n`);
  process.exit(code);
}

if (wantsReplayHelp(process.argv.slice(2))) {
  process.stdout.write(REPLAY_HELP);
  process.exit(0);
}

let args;
try {
  args = parseReplayArgs(process.argv.slice(2));
} catch (error) {
  if (error instanceof ReplayUsageError) fail(error.message, 2);
  throw error;
}

const info = readRunInfo();
if (!info.adminToken) fail('ADMIN_TOKEN is not set (and no running `npm start` was found): POST /admin/replay needs it', 2);
if (!info.debugToken) fail('DEBUG_TOKEN is not set (and no running `npm start` was found): /admin/replay/status needs it', 2);
const headers = (token) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

async function call(service, path, init, token) {
  const url = `${info.urls[service]}${path}`;
  let response;
  try {
    response = await fetch(url, { ...init, headers: headers(token) });
  } catch (error) {
    fail(`${service} does not answer at ${url}: ${error.cause?.message ?? error.message}`);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) fail(`${service} answered ${response.status} to ${path}: ${body.error ?? JSON.stringify(body)}`);
  return body;
}

const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(0);
for (const service of args.services) {
  process.stdout.write(`replay: ${service} from ${args.from}\n`);
  await call(service, '/admin/replay', { method: 'POST', body: JSON.stringify({ from: args.from }) }, info.adminToken);
}

const deadline = started + args.timeoutMinutes * 60_000;
for (;;) {
  const statuses = await Promise.all(
    args.services.map(async (service) => [service, await call(service, '/admin/replay/status', { method: 'GET' }, info.debugToken)]),
  );
  const progress = statuses.map(
    ([service, status]) =>
      `${service}: ${status.groups.map((group) => `lag ${group.lag}${group.rebuilding ? ', rebuilding' : ''}`).join(', ')}`,
  );
  process.stdout.write(`replay: ${seconds()}s  ${progress.join(' | ')}\n`);
  const failed = statuses.find(([, status]) => status.state === 'failed');
  if (failed) fail(`${failed[0]} reports a failed replay: ${failed[1].error ?? 'see its log'}`);
  if (statuses.every(([, status]) => status.state === 'idle' && status.groups.every((group) => group.lag === 0 && !group.rebuilding)))
    break;
  if (Date.now() > deadline)
    fail(`not caught up after ${args.timeoutMinutes} minutes (the replay goes on; --timeout-minutes waits longer)`);
  await new Promise((done) => setTimeout(done, 2_000));
}
process.stdout.write(`replay: done in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);

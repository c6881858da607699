// Where a running `npm start` listens and which debug and admin tokens it uses, so the command-line tools
// (replay, demo) find it without flags. Environment variables win over the file.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// TOUCHSTREAM_RUN_INFO_FILE: elsewhere, for a test that runs `npm start` beside a developer's own.
const FILE = process.env.TOUCHSTREAM_RUN_INFO_FILE ?? resolve(REPO_ROOT, '.cache', 'run.json');

export const DEFAULT_PORTS = { ingest: 3000, identity: 3001, attribution: 3002, 'segment-sink': 3003 };
const PORT_VARIABLES = { ingest: 'INGEST_PORT', identity: 'IDENTITY_PORT', attribution: 'ATTRIBUTION_PORT', 'segment-sink': 'SINK_PORT' };

export function writeRunInfo(info) {
  mkdirSync(dirname(FILE), { recursive: true });
  writeFileSync(FILE, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

export function readRunInfo() {
  const saved = existsSync(FILE) ? JSON.parse(readFileSync(FILE, 'utf8')) : {};
  const urls = {};
  for (const [service, port] of Object.entries(DEFAULT_PORTS)) {
    const fromEnv = process.env[PORT_VARIABLES[service]];
    urls[service] = fromEnv ? `http://127.0.0.1:${fromEnv}` : (saved.urls?.[service] ?? `http://127.0.0.1:${port}`);
  }
  return {
    urls,
    debugToken: process.env.DEBUG_TOKEN ?? saved.debugToken,
    adminToken: process.env.ADMIN_TOKEN ?? saved.adminToken,
    writeKey: process.env.INGEST_WRITE_KEYS?.split(',')[0] ?? saved.writeKey,
    // As the sink resolves it: a relative file is under DATA_DIR (.cache by default).
    dryRunFile: process.env.SINK_DRY_RUN_FILE
      ? resolve(process.env.DATA_DIR || resolve(REPO_ROOT, '.cache'), process.env.SINK_DRY_RUN_FILE)
      : saved.dryRunFile,
  };
}

import { parseArgs } from 'node:util';

/**
 * The arguments of `npm run replay` (scripts/replay.mjs imports this file from dist on its own:
 * it needs nothing but node). Usage errors are thrown as ReplayUsageError with a message for
 * the terminal.
 */
export const REPLAY_USAGE =
  'usage: npm run replay -- [--from earliest|<ISO-8601 date or date-time with offset>] [--services identity,attribution,sink] [--timeout-minutes N]';

/** The services a replay can address, by the names the command takes, and the service each one is. */
export const REPLAYABLE_SERVICES: Readonly<Record<string, 'identity' | 'attribution' | 'segment-sink'>> = {
  identity: 'identity',
  attribution: 'attribution',
  sink: 'segment-sink',
  'segment-sink': 'segment-sink',
};

export interface ReplayArguments {
  /** 'earliest', or an ISO-8601 instant (UTC, with milliseconds). */
  from: string;
  /** In pipeline order (identity, attribution, segment-sink), each once. */
  services: Array<'identity' | 'attribution' | 'segment-sink'>;
  timeoutMinutes: number;
}

export class ReplayUsageError extends Error {}

/** `--help` / `-h`: the caller prints REPLAY_HELP and exits 0. */
export function wantsReplayHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

export const REPLAY_HELP = `${REPLAY_USAGE}

Rebuilds identity, attribution and the sink's state from the raw topic and publishes only what
changed (docs/decisions/0009-replay.md). Talks to the services a running \`npm start\` started
(.cache/run.json), or to those named by the environment.

Options:
  --from <when>            earliest (default), or a date (2026-03-01, midnight UTC) or date-time with
                           offset (2026-03-01T09:00:00Z) to re-apply from
  --services <list>        comma-separated: identity, attribution, sink (default: all three)
  --timeout-minutes <n>    how long to wait for every group to catch up (default 120)
  -h, --help               this help

Environment (a running \`npm start\` provides all of them):
  ADMIN_TOKEN              the services' admin token: starting a replay needs it
  DEBUG_TOKEN              the services' debug token: following its progress needs it
  IDENTITY_PORT, ATTRIBUTION_PORT, SINK_PORT   where the services listen (default 3001-3003)

Exit codes: 0 caught up; 1 a service failed or did not answer; 2 invalid options or a token missing.
`;

const PIPELINE_ORDER = ['identity', 'attribution', 'segment-sink'];

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export function parseReplayArgs(argv: readonly string[]): ReplayArguments {
  let values: { from?: string; services?: string; 'timeout-minutes'?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        from: { type: 'string', default: 'earliest' },
        services: { type: 'string', default: 'identity,attribution,sink' },
        'timeout-minutes': { type: 'string', default: '120' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ReplayUsageError(`${(error as Error).message}\n${REPLAY_USAGE}`);
  }
  return {
    from: parseFrom(values.from ?? 'earliest'),
    services: parseServices(values.services ?? ''),
    timeoutMinutes: parseTimeout(values['timeout-minutes'] ?? '120'),
  };
}

/** A date alone is midnight UTC; a date-time needs its offset (local time would depend on the machine). */
function parseFrom(value: string): string {
  if (value === 'earliest') return value;
  const ms = Date.parse(value);
  // Date.parse rolls 2026-02-30 over into March: a date must come back as itself.
  const valid =
    !Number.isNaN(ms) && (DATE_ONLY.test(value) ? new Date(ms).toISOString().startsWith(value) : DATE_TIME_WITH_OFFSET.test(value));
  if (!valid) {
    throw new ReplayUsageError(
      `--from must be "earliest" or an ISO-8601 date (2026-03-01) or date-time with offset (2026-03-01T09:00:00Z), not "${value}"`,
    );
  }
  return new Date(ms).toISOString();
}

function parseServices(value: string): ReplayArguments['services'] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (names.length === 0) throw new ReplayUsageError('--services names no service (choose from identity, attribution, sink)');
  const services: ReplayArguments['services'] = [];
  for (const name of names) {
    const service = REPLAYABLE_SERVICES[name];
    if (!service) throw new ReplayUsageError(`unknown service "${name}" (choose from identity, attribution, sink)`);
    if (!services.includes(service)) services.push(service);
  }
  return services.sort((a, b) => PIPELINE_ORDER.indexOf(a) - PIPELINE_ORDER.indexOf(b));
}

function parseTimeout(value: string): number {
  const minutes = Number(value);
  if (!Number.isFinite(minutes) || minutes <= 0) throw new ReplayUsageError(`--timeout-minutes must be a positive number, not "${value}"`);
  return minutes;
}

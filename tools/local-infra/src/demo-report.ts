/**
 * What `npm run demo` prints: a few users' first and last touch and the channel mix of first
 * touches, as terminal tables. Pure formatting; the shapes below are the parts of the attribution
 * debug endpoint's answer (GET /attribution/users/:userId) the tables use.
 */

export interface ReportTouch {
  /** The page view's Segment messageId. */
  messageId?: string;
  occurredAt: string;
  source: { channel: string | null; source: string | null; medium: string | null; campaign: string | null };
}

export interface ReportSubject {
  /** A userId, or an anonymousId for a visitor who never identified. */
  id: string;
  firstTouch: ReportTouch | null;
  lastTouch: ReportTouch | null;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

const NONE = '—';
const MAX_CELL = 42;

/** Code points, not UTF-16 units: "—" and "█" are one column each. */
const width = (text: string) => [...text].length;

function fit(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function pad(text: string, size: number, align: 'left' | 'right'): string {
  const gap = ' '.repeat(Math.max(0, size - width(text)));
  return align === 'right' ? gap + text : text + gap;
}

/** A box-drawn table; cells longer than `maxCell` are cut with "…". */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], maxCell = MAX_CELL): string {
  const cells = rows.map((row) => columns.map((_, index) => fit(row[index] ?? '', maxCell)));
  const sizes = columns.map((column, index) => Math.max(width(column.header), ...cells.map((row) => width(row[index] ?? ''))));
  const line = (left: string, middle: string, right: string) => `${left}${sizes.map((size) => '─'.repeat(size + 2)).join(middle)}${right}`;
  const row = (values: readonly string[]) =>
    `│${values.map((value, index) => ` ${pad(value, sizes[index] ?? 0, columns[index]?.align ?? 'left')} `).join('│')}│`;
  return [
    line('┌', '┬', '┐'),
    row(columns.map((column) => column.header)),
    line('├', '┼', '┤'),
    ...cells.map(row),
    line('└', '┴', '┘'),
  ].join('\n');
}

function sourceMedium(touch: ReportTouch): string {
  const { source, medium } = touch.source;
  if (!source && !medium) return NONE;
  return `${source ?? NONE} / ${medium ?? NONE}`;
}

function touchCells(touch: ReportTouch | null): string[] {
  if (!touch) return [NONE, NONE, NONE, NONE];
  return [touch.source.channel ?? NONE, sourceMedium(touch), touch.source.campaign ?? NONE, touch.occurredAt];
}

export const TOUCH_COLUMNS: readonly Column[] = [
  { header: 'user' },
  { header: 'touch' },
  { header: 'channel' },
  { header: 'source / medium' },
  { header: 'campaign' },
  { header: 'timestamp' },
];

/** Two rows per subject: its first touch, then its last touch (the id only on the first). */
export function touchRows(subjects: readonly ReportSubject[]): string[][] {
  return subjects.flatMap((subject) => [
    [subject.id, 'first', ...touchCells(subject.firstTouch)],
    ['', 'last', ...touchCells(subject.lastTouch)],
  ]);
}

/**
 * The few subjects worth showing: those whose first and last touch differ in channel come first
 * (they show what attribution does), in id order so the same archive always shows the same ones.
 */
export function pickSubjects(subjects: readonly ReportSubject[], count: number): ReportSubject[] {
  const withTouches = subjects.filter((subject) => subject.firstTouch !== null);
  const moved = (subject: ReportSubject) => subject.firstTouch?.source.channel !== subject.lastTouch?.source.channel;
  const byId = (a: ReportSubject, b: ReportSubject) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return [...withTouches.filter(moved).sort(byId), ...withTouches.filter((subject) => !moved(subject)).sort(byId)].slice(0, count);
}

export interface ChannelShare {
  channel: string;
  count: number;
  /** Of all subjects with a first touch, 0..1. */
  share: number;
}

/** How the subjects' first touches spread over channels, largest first (ties by name). */
export function channelMix(subjects: readonly ReportSubject[]): ChannelShare[] {
  const counts = new Map<string, number>();
  for (const subject of subjects) {
    if (!subject.firstTouch) continue;
    const channel = subject.firstTouch.source.channel ?? 'Unassigned';
    counts.set(channel, (counts.get(channel) ?? 0) + 1);
  }
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  return [...counts]
    .map(([channel, count]) => ({ channel, count, share: count / total }))
    .sort((a, b) => b.count - a.count || (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
}

export const MIX_COLUMNS: readonly Column[] = [
  { header: 'first-touch channel' },
  { header: 'users', align: 'right' },
  { header: 'share', align: 'right' },
  { header: '' },
];

const BAR_WIDTH = 24;

/** channel, count, share in percent with one decimal, and a bar scaled to the largest share. */
export function mixRows(mix: readonly ChannelShare[]): string[][] {
  const largest = Math.max(0, ...mix.map((entry) => entry.share));
  return mix.map((entry) => [
    entry.channel,
    String(entry.count),
    `${(entry.share * 100).toFixed(1)}%`,
    '█'.repeat(largest === 0 ? 0 : Math.max(1, Math.round((entry.share / largest) * BAR_WIDTH))),
  ]);
}

/** The page views the generator planted as a subject's first and last touch (its ground truth). */
export interface PlantedTouches {
  firstMessageId: string;
  lastMessageId: string;
}

/**
 * How many subjects got exactly the first and last touch the generator planted, and which did
 * not: the demo says how far the pipeline agrees with the ground truth.
 */
export function truthAgreement(
  subjects: readonly ReportSubject[],
  planted: ReadonlyMap<string, PlantedTouches>,
): { agreeing: number; total: number; disagreeing: string[] } {
  const disagreeing: string[] = [];
  let total = 0;
  for (const subject of subjects) {
    const truth = planted.get(subject.id);
    if (!truth) continue;
    total += 1;
    if (subject.firstTouch?.messageId !== truth.firstMessageId || subject.lastTouch?.messageId !== truth.lastMessageId)
      disagreeing.push(subject.id);
  }
  return { agreeing: total - disagreeing.length, total, disagreeing };
}

import { describe, expect, it } from 'vitest';
import {
  channelMix,
  mixRows,
  truthAgreement,
  MIX_COLUMNS,
  pickSubjects,
  renderTable,
  touchRows,
  TOUCH_COLUMNS,
  type ReportSubject,
  type ReportTouch,
} from './demo-report';

function touch(
  channel: string | null,
  source: string | null,
  medium: string | null,
  campaign: string | null,
  occurredAt: string,
): ReportTouch {
  return { occurredAt, source: { channel, source, medium, campaign } };
}

const search = touch('Organic Search', 'google', 'organic', null, '2024-01-03T10:00:00.000Z');
const social = touch('Paid Social', 'facebook', 'paid_social', 'spring', '2024-01-10T08:30:00.000Z');
const direct = touch('Direct', null, null, null, '2024-01-04T12:00:00.000Z');

describe('renderTable', () => {
  it('draws a box with every column as wide as its widest cell, numbers on the right', () => {
    const table = renderTable(
      [{ header: 'channel' }, { header: 'n', align: 'right' }],
      [
        ['Email', '3'],
        ['Organic Search', '12'],
      ],
    );
    expect(table.split('\n')).toEqual([
      '┌────────────────┬────┐',
      '│ channel        │  n │',
      '├────────────────┼────┤',
      '│ Email          │  3 │',
      '│ Organic Search │ 12 │',
      '└────────────────┴────┘',
    ]);
  });

  it('cuts long cells with an ellipsis and counts "—" and "█" as one column', () => {
    const lines = renderTable([{ header: 'x' }], [['abcdefghij'], ['—█']], 6).split('\n');
    expect(lines[3]).toBe('│ abcde… │');
    expect(lines[4]).toBe('│ —█     │');
  });
});

describe('touchRows', () => {
  it("gives a subject's first and last touch: channel, source / medium, campaign, timestamp", () => {
    expect(touchRows([{ id: 'usr_1', firstTouch: search, lastTouch: social }])).toEqual([
      ['usr_1', 'first', 'Organic Search', 'google / organic', '—', '2024-01-03T10:00:00.000Z'],
      ['', 'last', 'Paid Social', 'facebook / paid_social', 'spring', '2024-01-10T08:30:00.000Z'],
    ]);
    expect(TOUCH_COLUMNS.map((column) => column.header)).toEqual(['user', 'touch', 'channel', 'source / medium', 'campaign', 'timestamp']);
  });

  it('shows unknown values and a missing touch as "—"', () => {
    expect(touchRows([{ id: 'usr_2', firstTouch: direct, lastTouch: null }])).toEqual([
      ['usr_2', 'first', 'Direct', '—', '—', '2024-01-04T12:00:00.000Z'],
      ['', 'last', '—', '—', '—', '—'],
    ]);
  });
});

describe('pickSubjects', () => {
  const subjects: ReportSubject[] = [
    { id: 'c', firstTouch: direct, lastTouch: direct },
    { id: 'b', firstTouch: search, lastTouch: social },
    { id: 'a', firstTouch: search, lastTouch: search },
    { id: 'd', firstTouch: null, lastTouch: null },
    { id: 'e', firstTouch: direct, lastTouch: social },
  ];

  it('prefers subjects whose channel changed, then the rest, each in id order, and skips those without touches', () => {
    expect(pickSubjects(subjects, 4).map((subject) => subject.id)).toEqual(['b', 'e', 'a', 'c']);
    expect(pickSubjects(subjects, 1).map((subject) => subject.id)).toEqual(['b']);
  });
});

describe('channelMix', () => {
  const subjects: ReportSubject[] = [
    { id: '1', firstTouch: search, lastTouch: search },
    { id: '2', firstTouch: social, lastTouch: social },
    { id: '3', firstTouch: search, lastTouch: social },
    { id: '4', firstTouch: direct, lastTouch: direct },
    { id: '5', firstTouch: null, lastTouch: null },
    { id: '6', firstTouch: touch(null, null, null, null, '2024-01-05T00:00:00.000Z'), lastTouch: null },
  ];

  it('counts first touches per channel, largest first and ties by name, over subjects that have one', () => {
    expect(channelMix(subjects)).toEqual([
      { channel: 'Organic Search', count: 2, share: 0.4 },
      { channel: 'Direct', count: 1, share: 0.2 },
      { channel: 'Paid Social', count: 1, share: 0.2 },
      { channel: 'Unassigned', count: 1, share: 0.2 },
    ]);
    expect(channelMix([])).toEqual([]);
  });

  it('renders shares in percent with bars scaled to the largest', () => {
    expect(mixRows(channelMix(subjects).slice(0, 2))).toEqual([
      ['Organic Search', '2', '40.0%', '█'.repeat(24)],
      ['Direct', '1', '20.0%', '█'.repeat(12)],
    ]);
    expect(MIX_COLUMNS.map((column) => column.align ?? 'left')).toEqual(['left', 'right', 'right', 'left']);
  });
});

describe('truthAgreement', () => {
  const at = (messageId: string): ReportTouch => ({ ...search, messageId });
  const subjects: ReportSubject[] = [
    { id: 'u1', firstTouch: at('m1'), lastTouch: at('m2') },
    { id: 'u2', firstTouch: at('m3'), lastTouch: at('m9') },
    { id: 'u3', firstTouch: null, lastTouch: null },
    { id: 'not-planted', firstTouch: at('m7'), lastTouch: at('m7') },
  ];
  const planted = new Map([
    ['u1', { firstMessageId: 'm1', lastMessageId: 'm2' }],
    ['u2', { firstMessageId: 'm3', lastMessageId: 'm4' }],
    ['u3', { firstMessageId: 'm5', lastMessageId: 'm6' }],
  ]);

  it('counts subjects whose first and last touch are the planted page views, over the subjects the truth knows', () => {
    expect(truthAgreement(subjects, planted)).toEqual({ agreeing: 1, total: 3, disagreeing: ['u2', 'u3'] });
  });
});

import { uuidFromHex, hashHex, type Random, type Weighted } from './random';

/** One browser on one device: its own anonymousId (analytics.js keeps it in a cookie). */
export interface Device {
  anonymousId: string;
  kind: 'desktop' | 'mobile' | 'tablet';
  userAgent: string;
  locale: string;
  /** From the documentation ranges (RFC 5737): never a real address. */
  ip: string;
  /** How far the device's clock is off; Segment's timestamp corrects for it. */
  clockSkewMs: number;
}

interface Profile {
  kind: Device['kind'];
  userAgent: string;
}

const PROFILES: Weighted<Profile> = [
  [
    {
      kind: 'desktop',
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    },
    36,
  ],
  [
    {
      kind: 'desktop',
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
    },
    18,
  ],
  [{ kind: 'desktop', userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0' }, 6],
  [
    {
      kind: 'mobile',
      userAgent:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    },
    22,
  ],
  [
    {
      kind: 'mobile',
      userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
    },
    13,
  ],
  [
    {
      kind: 'tablet',
      userAgent:
        'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    },
    5,
  ],
];

const LOCALES = [
  ['en-US', 55],
  ['en-GB', 15],
  ['de-DE', 10],
  ['fr-FR', 8],
  ['es-ES', 6],
  ['nl-NL', 6],
] as const;

const IP_PREFIXES = ['192.0.2.', '198.51.100.', '203.0.113.'] as const;

export function makeDevice(random: Random, seed: string, person: number, index: number): Device {
  const profile = random.weighted(PROFILES);
  const skewed = random.chance(0.15);
  return {
    anonymousId: uuidFromHex(hashHex(seed, 'anonymousId', person, index)),
    kind: profile.kind,
    userAgent: profile.userAgent,
    locale: random.weighted(LOCALES),
    ip: `${random.pick(IP_PREFIXES)}${random.int(1, 254)}`,
    clockSkewMs: skewed ? random.int(-90, 90) * 60_000 + random.int(-999, 999) : 0,
  };
}

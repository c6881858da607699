import { buildLanding, type Landing } from './acquisition';
import { CUSTOMER_VISIT_MIX, FIRST_VISIT_MIX, RETURN_VISIT_MIX } from './visit-mix';
import { makeDevice, type Device } from './devices';
import { DAY_MS, type ResolvedOptions } from './options';
import { hashHex, Random, type Weighted } from './random';

/**
 * What a visit is for. `signup` identifies the device mid-visit; `login` links another device;
 * `upgrade` leaves for the payment page and comes back (an unwanted referral, not a new source).
 */
export type VisitIntent = 'browse' | 'signup' | 'login' | 'work' | 'upgrade';

export interface VisitPlan {
  /** Position in the person's visits, in time order. */
  index: number;
  device: number;
  /** When the landing page was viewed (true time, ms since the epoch). */
  start: number;
  landing: Landing;
  intent: VisitIntent;
  /** The device knew the userId before the visit began: every event of the visit carries it. */
  identified: boolean;
}

export interface Traits {
  email: string;
  firstName: string;
  lastName: string;
  name: string;
  company: { name: string };
  plan: 'trial';
}

export interface PersonPlan {
  person: number;
  /** Set when the person signs up. */
  userId: string | null;
  traits: Traits | null;
  devices: Device[];
  /** Devices that sent an identify with the userId (sign-up or log-in). */
  linkedDevices: readonly boolean[];
  visits: VisitPlan[];
}

/** Sessions break after 30 minutes without an event: visits on one device are further apart than that. */
export const MAX_VISIT_MS = 60 * 60 * 1000;
const MIN_VISIT_GAP_MS = MAX_VISIT_MS + 45 * 60 * 1000;
const MEAN_RETURN_DAYS = 3;

/** More traffic in working hours (UTC, as the archive stores it). */
const HOUR_WEIGHTS: Weighted<number> = Array.from(
  { length: 24 },
  (_, hour) => [hour, hour < 6 ? 1 : hour < 9 ? 3 : hour < 18 ? 6 : 3] as const,
);

const FIRST_NAMES = [
  'Ada',
  'Ben',
  'Chloe',
  'Dev',
  'Elena',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kemi',
  'Lena',
  'Mateo',
  'Nora',
  'Omar',
  'Priya',
];
const LAST_NAMES = [
  'Adams',
  'Becker',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Hughes',
  'Ivanova',
  'Jensen',
  'Khan',
  'Larsen',
  'Moreau',
  'Novak',
];
const COMPANIES = [
  'Northwind',
  'Globex',
  'Initech',
  'Umbrella Labs',
  'Hooli',
  'Vandelay',
  'Stark Retail',
  'Wayne Logistics',
  'Acme Travel',
  'Soylent',
];

function arrivalTime(random: Random, options: ResolvedOptions): number {
  const day = random.int(0, options.days - 1);
  const hour = random.weighted(HOUR_WEIGHTS);
  return options.startMs + day * DAY_MS + hour * 3_600_000 + random.int(0, 3_599_999);
}

function visitCount(random: Random, signsUp: boolean): number {
  const extra = Math.floor(random.exponential(signsUp ? 2.5 : 1.2));
  return Math.min(signsUp ? 2 + extra : 1 + extra, 20);
}

function makeTraits(random: Random, seed: string, person: number): Traits {
  const firstName = random.pick(FIRST_NAMES);
  const lastName = random.pick(LAST_NAMES);
  const company = random.pick(COMPANIES);
  const domain = `${company.toLowerCase().replace(/[^a-z]/g, '')}.example`;
  const email = `${firstName.toLowerCase()}.${lastName.toLowerCase()}.${hashHex(seed, 'email', person).slice(0, 6)}@${domain}`;
  return { email, firstName, lastName, name: `${firstName} ${lastName}`, company: { name: company }, plan: 'trial' };
}

/**
 * Decides one person's whole history without producing an event: devices, visit times and
 * sources, when they sign up and which other devices log in. Cheap and deterministic per
 * (seed, person), so a time-ordered archive can plan everyone first and produce events later.
 */
export function planPerson(options: ResolvedOptions, person: number): PersonPlan {
  const { seed } = options;
  const random = Random.of(seed, 'person', person);
  const signsUp = random.chance(options.signUpRate);
  const deviceCount = random.weighted([
    [1, 62],
    [2, 28],
    [3, 10],
  ] as const);

  const starts: number[] = [];
  let at = arrivalTime(random, options);
  const wanted = visitCount(random, signsUp);
  while (starts.length < wanted && at < options.endMs) {
    starts.push(at);
    at += MIN_VISIT_GAP_MS + Math.round(random.exponential(MEAN_RETURN_DAYS * DAY_MS));
  }
  const deviceOf = starts.map((_, index) =>
    index === 0 || deviceCount === 1
      ? 0
      : random.weighted(Array.from({ length: deviceCount }, (_, d) => [d, d === 0 ? 55 : 45 / (deviceCount - 1)] as const)),
  );
  // Devices that never visit do not exist; renumber in order of first use.
  const order = [...new Set(deviceOf)];
  const devices = order.map((_, index) => makeDevice(random, seed, person, index));
  const deviceIndex = deviceOf.map((device) => order.indexOf(device));

  const signUpVisit = !signsUp ? -1 : starts.length === 1 || random.chance(0.2) ? 0 : random.int(1, starts.length - 1);
  const userId = signsUp ? `usr_${hashHex(seed, 'userId', person).slice(0, 20)}` : null;
  const traits = signsUp ? makeTraits(random, seed, person) : null;
  const upgradeWanted = signsUp && random.chance(0.25);

  const linked = devices.map(() => false);
  // A device's first visit after the sign-up is where it may log in; if it does not, it stays unlinked.
  const loginOffered = devices.map(() => false);
  let upgraded = false;
  const visits: VisitPlan[] = starts.map((start, index) => {
    const device = deviceIndex[index] as number;
    const identified = linked[device] as boolean;
    const customer = signUpVisit >= 0 && index > signUpVisit;
    const mix = index === 0 ? FIRST_VISIT_MIX : customer ? CUSTOMER_VISIT_MIX : RETURN_VISIT_MIX;
    const landing = buildLanding(random.weighted(mix), { random, at: start, customer });
    let intent: VisitIntent = identified && landing.page.origin === 'app' ? 'work' : 'browse';
    if (index === signUpVisit) intent = 'signup';
    else if (customer && !identified && !loginOffered[device]) {
      loginOffered[device] = true;
      if (random.chance(0.7)) intent = 'login';
    } else if (customer && identified && upgradeWanted && !upgraded && random.chance(0.5)) {
      intent = 'upgrade';
      upgraded = true;
    }
    if (intent === 'signup' || intent === 'login') linked[device] = true;
    return { index, device, start, landing, intent, identified };
  });
  return { person, userId, traits, devices, linkedDevices: linked, visits };
}

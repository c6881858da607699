import type { OutgoingMessage } from '@touchstream/kafka';

/**
 * The pipeline's Kafka traffic per raw event, as measured on the attribution benchmark's data
 * (20 k events, 2026-11-29: 24,189 raw events gave 2,143 links, 7,060 touches and 5,512
 * user-sources facts; average values 511, 1,098 and 2,064 bytes; four trace headers of about
 * 190 bytes). The transport floor reproduces that traffic with no work between the hops.
 */
export const SHAPE = {
  link: { perMille: 89, bytes: 511 },
  touch: { perMille: 292, bytes: 1_098 },
  userSources: { perMille: 228, bytes: 2_064 },
} as const;

export type DerivedKind = keyof typeof SHAPE;

/** FNV-1a over the first 64 bytes (an envelope starts with its unique id): a stable, spread value per message. */
function hashOf(value: Buffer): number {
  let hash = 0x811c9dc5;
  const end = Math.min(value.length, 64);
  for (let i = 0; i < end; i += 1) {
    hash ^= value[i] as number;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Which derived messages a raw event gives rise to: decided by its bytes, so every process agrees. */
export function derivedOf(value: Buffer): Record<DerivedKind, boolean> {
  const hash = hashOf(value);
  return {
    link: hash % 1000 < SHAPE.link.perMille,
    touch: (hash >>> 10) % 1000 < SHAPE.touch.perMille,
    userSources: (hash >>> 20) % 1000 < SHAPE.userSources.perMille,
  };
}

const TRACE_HEADERS = {
  'x-correlation-id': '2b0c4a6e-8f0d-4c4e-9b7a-2f6f0c1d3e5a',
  'x-causation-id': '7d9e1f3a-5b2c-4d6e-8f0a-1b3c5d7e9f1a',
  'x-event-type': 'attribution.user-sources.v1',
  'x-source': 'import',
};

/** A derived message of the measured size, keyed like its cause (same subject, same partition). */
export function derivedMessage(kind: DerivedKind, key: string | null): OutgoingMessage {
  return { key, value: PAYLOADS[kind], headers: TRACE_HEADERS };
}

const PAYLOADS: Record<DerivedKind, Buffer> = {
  link: Buffer.from(`{"pad":"${'l'.repeat(SHAPE.link.bytes - 10)}"}`),
  touch: Buffer.from(`{"pad":"${'t'.repeat(SHAPE.touch.bytes - 10)}"}`),
  userSources: Buffer.from(`{"pad":"${'u'.repeat(SHAPE.userSources.bytes - 10)}"}`),
};

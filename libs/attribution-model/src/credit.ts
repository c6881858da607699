import type { Channel } from '@touchstream/contracts';
import { compareByTime } from './page-view';
import { TIME_DECAY_HALF_LIFE_MS } from './settings';

export const CREDIT_MODELS = ['linear', 'timeDecay', 'positionBased'] as const;
export type CreditModel = (typeof CREDIT_MODELS)[number];

/** Share of the conversion per channel; the shares of one model sum to 1 (empty without touches). */
export type ChannelCredit = Partial<Record<Channel, number>>;
export type MultiTouchCredit = Record<CreditModel, ChannelCredit>;

interface Creditable {
  messageId: string;
  at: number;
  channel: Channel;
}

/** Each touch's weight under a model, in time order; weights sum to 1. */
export function touchWeights(model: CreditModel, ordered: readonly Creditable[], halfLifeMs = TIME_DECAY_HALF_LIFE_MS): number[] {
  const n = ordered.length;
  if (n === 0) return [];
  switch (model) {
    case 'linear':
      return ordered.map(() => 1 / n);
    case 'timeDecay': {
      // 2^(-days before the journey's last touch / half-life), normalised.
      const end = (ordered[n - 1] as Creditable).at;
      const raw = ordered.map((touch) => Math.pow(2, -(end - touch.at) / halfLifeMs));
      const total = raw.reduce((sum, weight) => sum + weight, 0);
      return raw.map((weight) => weight / total);
    }
    case 'positionBased': {
      // U-shaped 40/20/40: first and last 40 % each, the middle shares 20 %.
      if (n === 1) return [1];
      if (n === 2) return [0.5, 0.5];
      return ordered.map((_, index) => (index === 0 || index === n - 1 ? 0.4 : 0.2 / (n - 2)));
    }
    default: {
      const unknown: never = model;
      throw new Error(`unknown credit model ${String(unknown)}`);
    }
  }
}

/** Multi-touch credit by channel over a journey's touches, any order in. */
export function multiTouchCredit(touches: readonly Creditable[], halfLifeMs = TIME_DECAY_HALF_LIFE_MS): MultiTouchCredit {
  const ordered = [...touches].sort(compareByTime);
  const credit = {} as MultiTouchCredit;
  for (const model of CREDIT_MODELS) {
    const byChannel: ChannelCredit = {};
    touchWeights(model, ordered, halfLifeMs).forEach((weight, index) => {
      const channel = (ordered[index] as Creditable).channel;
      byChannel[channel] = (byChannel[channel] ?? 0) + weight;
    });
    credit[model] = byChannel;
  }
  return credit;
}

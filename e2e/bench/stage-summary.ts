import { STAGES, type Stage, type StageSample } from './stage-sampler';

export interface StageLagSummary {
  /** Largest lag sampled, and when (seconds since the import started). */
  peak: number;
  peakAt: number;
  /** Mean of the per-second samples while the backfill ran. */
  mean: number;
  /** The first sample from which the group stayed at the end of its topics until everything drained. */
  caughtUpAt: number | null;
  /** Samples where the broker did not answer. */
  unanswered: number;
}

/** The lag time series of the backfill (samples from the import's start to the drained one), reduced per stage. */
export function summariseStages(samples: readonly StageSample[], from: number, to: number): Record<Stage, StageLagSummary> {
  const window = samples.filter((sample) => sample.t >= from && sample.t <= to);
  const result = {} as Record<Stage, StageLagSummary>;
  for (const stage of STAGES) {
    const answered = window.filter((sample) => sample.lag[stage] !== null);
    let peak = 0;
    let peakAt = 0;
    let sum = 0;
    let caughtUpAt: number | null = null;
    for (const sample of answered) {
      const lag = sample.lag[stage] as number;
      sum += lag;
      if (lag > peak) {
        peak = lag;
        peakAt = sample.t;
      }
      if (lag > 0) caughtUpAt = null;
      else caughtUpAt ??= sample.t;
    }
    result[stage] = {
      peak,
      peakAt,
      mean: answered.length > 0 ? Math.round(sum / answered.length) : 0,
      caughtUpAt,
      unanswered: window.length - answered.length,
    };
  }
  return result;
}

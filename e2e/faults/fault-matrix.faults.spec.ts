import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { SITE } from '@touchstream/synthetic-data';
import { Pipeline } from '../src/pipeline';
import { pipelineForSuite } from '../src/pipeline-watch';
import { keepServiceOutputs, reportFaults, runFault, writeFaultResult, type FaultBench, type FaultOutcome } from './fault-run';
import { faultMatrix } from './faults';
import { SteadyLoad } from './steady-load';
import { ThrowawayBroker, ThrowawayPostgres } from './throwaway-infrastructure';

/** FAULTS=ci: the bounded subset .ci/run runs; anything else (or nothing): the whole matrix. */
const SUBSET = process.env.FAULTS === 'ci' ? 'ci' : 'all';
const FAULTS = faultMatrix().filter((fault) => SUBSET === 'all' || fault.ci);

/**
 * Faults under load: the four compiled services as processes on the suite's own broker and
 * Postgres, a steady stream of unique page views into ingest, a local Segment receiver counting
 * every call by messageId, and one fault at a time. For each: how many events ingest accepted,
 * how many arrived exactly once, duplicated or not at all, and how long the pipeline took to
 * recover. Nothing may be missing and nothing stuck.
 */
describe('faults under load: nothing accepted is lost, nothing stalls', () => {
  // The services' own consumer settings (session timeouts included): the recovery times measured are the ones they run with.
  const pipeline = new Pipeline('faults', { SITE_DOMAINS: SITE.domains.join(','), UNWANTED_REFERRALS: SITE.unwantedReferrals.join(',') });
  const watch = pipelineForSuite(pipeline);
  const brokerPorts = inject('faultBroker');
  const postgresAt = inject('faultPostgres');
  const bench: FaultBench = {
    pipeline,
    watch,
    load: new SteadyLoad({
      ingestUrl: () => pipeline.url('ingest'),
      writeKey: pipeline.writeKey,
      runId: `faults-${randomBytes(4).toString('hex')}`,
    }),
    broker: new ThrowawayBroker(brokerPorts.port, brokerPorts.controllerPort),
    postgres: new ThrowawayPostgres(postgresAt.port, postgresAt.dir),
  };
  const outcomes: FaultOutcome[] = [];
  const startedAt = new Date();

  afterAll(async () => {
    await bench.load.stop(0);
    if (outcomes.length > 0) process.stdout.write(`\n${reportFaults(outcomes, SUBSET, writeFaultResult(outcomes, SUBSET, startedAt))}\n`);
  });

  it.for(FAULTS.map((fault) => [fault.name, fault] as const))('%s', async ([, fault], { annotate }) => {
    const outcome = await runFault(fault, bench);
    outcomes.push(outcome);
    if (outcome.problems.length > 0) keepServiceOutputs(fault.name, bench.pipeline.outputs());
    writeFaultResult(outcomes, SUBSET, startedAt);
    await annotate(
      `accepted ${outcome.accepted}, delivered once ${outcome.deliveredOnce}, duplicated ${outcome.duplicated} ` +
        `(${outcome.extraCopies} copies), missing ${outcome.missing}, recovered in ${outcome.recoverSeconds ?? '-'} s`,
    );
    expect(outcome.accepted).toBeGreaterThan(0);
    expect(outcome.problems).toEqual([]);
    expect(outcome.missingIds).toEqual([]);
  });
});

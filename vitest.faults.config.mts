import { defineConfig } from 'vitest/config';
import { alias, plugins } from './vitest.config.mjs';

// `npm run test:faults`: the fault suite, on a broker and a Postgres of its own (e2e/faults/fault-setup.ts).
// Not part of `npm test`: the full matrix takes minutes; FAULTS=ci runs the bounded subset CI runs.
export default defineConfig({
  plugins,
  resolve: { alias },
  test: {
    name: 'faults',
    reporters: ['default', './tools/summary-reporter.mts'],
    include: ['e2e/faults/**/*.faults.spec.ts'],
    environment: 'node',
    globalSetup: ['e2e/faults/fault-setup.ts'],
    // One fault at a time, on one pipeline: the faults are the test, the order is the plan.
    maxWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});

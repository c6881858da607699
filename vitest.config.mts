import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Tests run from source: @touchstream/* resolves to each package's src/index.ts, in tools/ for the
// tooling packages and in libs/ for the rest.
// SWC (not esbuild) compiles the tests so NestJS gets the decorator metadata its DI reads.
const TOOLING = ['testing', 'local-infra', 'bench'].join('|');
export const alias = [
  { find: new RegExp(`^@touchstream\\/(${TOOLING})$`), replacement: resolve(import.meta.dirname, 'tools/$1/src/index.ts') },
  { find: /^@touchstream\/(.*)$/, replacement: resolve(import.meta.dirname, 'libs/$1/src/index.ts') },
];
export const plugins = [swc.vite({ module: { type: 'es6' } })];

export default defineConfig({
  test: {
    reporters: ['default', './tools/summary-reporter.mts'],
    projects: [
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'unit',
          // Unit tests first (no infrastructure), then the integration tests.
          sequence: { groupOrder: 0 },
          include: ['{libs,services,tools}/*/src/**/*.unit.spec.ts', 'tools/lint/**/*.unit.spec.ts', 'e2e/*/**/*.unit.spec.ts'],
          environment: 'node',
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'int',
          sequence: { groupOrder: 1 },
          include: ['{libs,services,tools}/*/src/**/*.int.spec.ts', 'e2e/src/**/*.e2e.spec.ts'],
          environment: 'node',
          globalSetup: ['tools/testing/src/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: one broker, one Postgres, and the services under test share them.
          maxWorkers: 2,
        },
      },
    ],
  },
});

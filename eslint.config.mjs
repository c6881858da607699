// @ts-check
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';
import touchstream from './tools/lint/module-boundaries.mjs';

/**
 * Architecture rules (tags in each project.json, checked by tools/lint/module-boundaries.mjs):
 * - type:service may use libs; libs never import services; services never import each other.
 * - scope:domain libs (contracts, logging, source-detection and the pure domain libs) import only
 *   other domain libs and no framework or driver: no NestJS, kafkajs, typeorm or pg.
 * - type:tooling (tools/: test harness, local infrastructure, benchmarks) is for tests, benchmarks
 *   and scripts: production code (every src/ file that is not a spec nor under src/testing/) never
 *   imports it.
 * - kafkajs is imported by libs/kafka only (second rule below).
 */
function moduleBoundaries({ inTests }) {
  const tooling = inTests ? ['type:tooling'] : [];
  const toolingScope = inTests ? ['scope:tooling'] : [];
  return {
    depConstraints: [
      { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib', ...tooling] },
      { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:tooling'] },
      { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', ...tooling] },
      { sourceTag: 'type:tooling', onlyDependOnLibsWithTags: ['type:lib', 'type:tooling'] },
      {
        sourceTag: 'scope:domain',
        onlyDependOnLibsWithTags: ['scope:domain', ...toolingScope],
        bannedExternalImports: ['@nestjs/*', 'kafkajs', 'typeorm', 'pg', 'fastify', 'undici'],
      },
      {
        sourceTag: 'scope:infra',
        onlyDependOnLibsWithTags: ['scope:domain', 'scope:infra', ...toolingScope],
        bannedExternalImports: ['@nestjs/*'],
      },
      { sourceTag: 'scope:platform', onlyDependOnLibsWithTags: ['scope:domain', 'scope:infra', 'scope:platform', ...toolingScope] },
    ],
  };
}

/** Code that only tests and benchmarks run: specs, their helpers (src/testing/) and benchmarks (bench/). */
const TEST_CODE = ['**/*.spec.ts', '**/src/testing/**/*.ts', '**/bench/**/*.ts'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.cache/**', '.nx/**', 'coverage/**', '**/*.mjs', '**/*.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { touchstream },
    rules: {
      'touchstream/module-boundaries': ['error', moduleBoundaries({ inTests: false })],
      'no-restricted-imports': ['error', { paths: [{ name: 'kafkajs', message: 'kafkajs is used through @touchstream/kafka only.' }] }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // NestJS modules are classes with only static members by design.
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  { files: ['libs/kafka/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
  {
    files: TEST_CODE,
    rules: {
      'touchstream/module-boundaries': ['error', moduleBoundaries({ inTests: true })],
      // Test doubles and parsed JSON in assertions are loosely typed on purpose.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  prettier,
);

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

/**
 * A service's domain/ folder is its pure logic: no framework, driver or infrastructure library,
 * so it runs and is unit-tested without Nest, Postgres or Kafka. Types of libs/kafka's message
 * shapes may be named; its code (which loads kafkajs) may not be called.
 */
export const domainImports = {
  files: ['services/*/src/domain/**/*.ts'],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: ['@nestjs/*', 'typeorm', 'typeorm/*', 'pg', 'pg/*', 'kafkajs', '@touchstream/platform', '@touchstream/database'],
            message: 'domain/ is framework-free: no NestJS, typeorm, pg or kafkajs (directly or through libs/platform, libs/database).',
          },
          {
            group: ['@touchstream/kafka'],
            allowTypeImports: true,
            message: 'domain/ may name libs/kafka types, not call it (it loads kafkajs).',
          },
        ],
      },
    ],
  },
};

/**
 * kafkajs only through libs/kafka. Consumers declare their handlers with libs/platform's
 * `@ConsumeBatches`, never a bare `@EventPattern`/`@MessagePattern`: Nest's default RPC exception
 * filter would turn a handler's error into a plain object, and libs/kafka decides by the error's
 * class whether a failure is retried, dead-lettered or redelivered.
 */
const RESTRICTED_IMPORTS = [
  { name: 'kafkajs', message: 'kafkajs is used through @touchstream/kafka only.' },
  {
    name: '@nestjs/microservices',
    importNames: ['EventPattern', 'MessagePattern'],
    message:
      'Declare consumer handlers with @ConsumeBatches from @touchstream/platform (it keeps the error classes libs/kafka classifies).',
  },
];

/** Code that only tests and benchmarks run: specs, their helpers (src/testing/) and benchmarks (bench/). */
const TEST_CODE = ['**/*.spec.ts', '**/src/testing/**/*.ts', '**/bench/**/*.ts'];

/**
 * Size caps: a file, a function and a parameter list a reader takes in at once (docs/architecture.md,
 * "Conventions"). Blank lines and comments do not count. More than five parameters become one
 * object with named fields; constructors may take up to eight, since NestJS injects a class's
 * collaborators through its constructor.
 */
const MAX_PARAMS = 5;
const SIZE_CAPS = {
  'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
  'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
  '@typescript-eslint/max-params': ['error', { max: 8 }],
  'no-restricted-syntax': [
    'error',
    ...[
      `FunctionDeclaration[params.length>${MAX_PARAMS}]`,
      `ArrowFunctionExpression[params.length>${MAX_PARAMS}]`,
      `FunctionExpression[params.length>${MAX_PARAMS}]:not(MethodDefinition[kind="constructor"] > FunctionExpression)`,
    ].map((selector) => ({ selector, message: `More than ${MAX_PARAMS} parameters: pass one object with named fields.` })),
  ],
};

/** Tests are longer: a describe block holds its cases, so only the file is capped. */
const TEST_SIZE_CAPS = {
  'max-lines': ['error', { max: 600, skipBlankLines: true, skipComments: true }],
  'max-lines-per-function': 'off',
};

/**
 * Files over a cap, each with why (listed in docs/architecture.md too); none at present. A new
 * entry needs a reason the code reads better whole than split.
 * @type {Array<{ files: string[]; rules: Record<string, 'off'> }>}
 */
const SIZE_EXCEPTIONS = [];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.cache/**', 'coverage/**', '**/*.mjs', '**/*.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { touchstream },
    rules: {
      'touchstream/module-boundaries': ['error', moduleBoundaries({ inTests: false })],
      'no-restricted-imports': ['error', { paths: RESTRICTED_IMPORTS }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // NestJS modules are classes with only static members by design.
      '@typescript-eslint/no-extraneous-class': 'off',
      ...SIZE_CAPS,
    },
  },
  { files: ['libs/kafka/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: RESTRICTED_IMPORTS.slice(1) }] } },
  // The one place @EventPattern is applied: inside @ConsumeBatches, with the pass-through filter.
  {
    files: ['libs/platform/src/kafka-batch-transport.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: RESTRICTED_IMPORTS.slice(0, 1) }] },
  },
  domainImports,
  {
    files: TEST_CODE,
    rules: {
      'touchstream/module-boundaries': ['error', moduleBoundaries({ inTests: true })],
      // Test doubles and parsed JSON in assertions are loosely typed on purpose.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/require-await': 'off',
      ...TEST_SIZE_CAPS,
    },
  },
  ...SIZE_EXCEPTIONS,
  prettier,
);

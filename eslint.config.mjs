// @ts-check
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * Architecture rules (Nx tags in each project.json):
 * - type:service may use libs; libs never import services; services never import each other.
 * - scope:domain libs (contracts, logging, source-detection and the pure domain libs) import only
 *   other domain libs and no framework or driver: no NestJS, kafkajs, typeorm or pg.
 * - kafkajs is imported by libs/kafka only (second rule below).
 */
/** Tests may also use libs/testing (scope:testing); production code may not. */
function moduleBoundaries({ inTests }) {
  const testing = inTests ? ['scope:testing'] : [];
  return {
    allow: [],
    enforceBuildableLibDependency: false,
    depConstraints: [
      { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib'] },
      { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib'] },
      { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
      {
        sourceTag: 'scope:domain',
        onlyDependOnLibsWithTags: ['scope:domain', ...testing],
        bannedExternalImports: ['@nestjs/*', 'kafkajs', 'typeorm', 'pg', 'fastify', 'undici'],
      },
      {
        sourceTag: 'scope:infra',
        onlyDependOnLibsWithTags: ['scope:domain', 'scope:infra', ...testing],
        bannedExternalImports: ['@nestjs/*'],
      },
      { sourceTag: 'scope:platform', onlyDependOnLibsWithTags: ['scope:domain', 'scope:infra', 'scope:platform', ...testing] },
      { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:domain', 'scope:infra'] },
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

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.cache/**', '.nx/**', 'coverage/**', '**/*.mjs', '**/*.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': ['error', moduleBoundaries({ inTests: false })],
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
  domainImports,
  {
    files: ['**/*.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', moduleBoundaries({ inTests: true })],
      // Test doubles and parsed JSON in assertions are loosely typed on purpose.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  prettier,
);

import { resolve } from 'node:path';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..', '..');
const RULE = '@typescript-eslint/no-restricted-imports';

/** The rule's setting the repository's eslint.config.mjs gives this file. */
async function ruleFor(file: string): Promise<Linter.RuleEntry | undefined> {
  const config = (await new ESLint({ cwd: root }).calculateConfigForFile(resolve(root, file))) as {
    rules?: Record<string, Linter.RuleEntry>;
  };
  return config.rules?.[RULE];
}

/** The rule ids reported for `code` in `file` under that setting alone. */
async function reported(file: string, code: string): Promise<string[]> {
  const rule = await ruleFor(file);
  if (rule === undefined) return [];
  const messages = new Linter({ configType: 'flat' }).verify(
    code,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { '@typescript-eslint': tseslint.plugin },
        rules: { [RULE]: rule },
      },
    ],
    { filename: resolve(root, file) },
  );
  return messages.map((message) => message.ruleId ?? message.message);
}

describe("services' domain/ folders stay framework-free", () => {
  const domainFile = 'services/attribution/src/domain/probe.ts';

  it.each([
    "import { Injectable } from '@nestjs/common';",
    "import { DataSource } from 'typeorm';",
    "import { Pool } from 'pg';",
    "import { Kafka } from 'kafkajs';",
    "import { MetricsRegistry } from '@touchstream/platform';",
    "import { appendToOutbox } from '@touchstream/database';",
    "import { envelopeMessage } from '@touchstream/kafka';",
  ])('refuses %s', async (code) => {
    expect(await reported(domainFile, code)).toEqual([RULE]);
  });

  it('allows pure libraries and libs/kafka types', async () => {
    const code = [
      "import { TOPICS } from '@touchstream/contracts';",
      "import { classifyTouch } from '@touchstream/source-detection';",
      "import type { OutgoingMessage } from '@touchstream/kafka';",
    ].join('\n');
    expect(await reported(domainFile, code)).toEqual([]);
    expect(await reported('services/identity/src/domain/nested/probe.ts', code)).toEqual([]);
  });

  it('applies to every service and only to domain/', async () => {
    for (const service of ['identity', 'attribution', 'segment-sink', 'ingest']) {
      expect(await reported(`services/${service}/src/domain/probe.ts`, "import { Module } from '@nestjs/common';")).toEqual([RULE]);
    }
    expect(await reported('services/attribution/src/app.module.ts', "import { Module } from '@nestjs/common';")).toEqual([]);
  });
});

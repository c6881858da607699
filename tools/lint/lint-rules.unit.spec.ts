import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT as ROOT } from '@touchstream/local-infra';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// The repository's own eslint.config.mjs, run on real files of the tree with one import added in
// memory: the boundary rules hold as `npm run lint` applies them, not as a copy of them.
const RULE = 'touchstream/module-boundaries';

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** The errors of `rules` ESLint reports for `file` with `lines` put at its top. */
async function errorsOf(rules: readonly string[], file: string, lines: string): Promise<string[]> {
  const code = `${lines}\n${readFileSync(resolve(ROOT, file), 'utf8')}`;
  const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, file) });
  return (result?.messages ?? []).filter((message) => rules.includes(message.ruleId ?? '')).map((message) => message.message);
}

/** The boundary errors ESLint reports for `file` with `importLine` put at its top. */
function boundaryErrors(file: string, importLine: string): Promise<string[]> {
  return errorsOf([RULE], file, importLine);
}

describe('module boundaries (eslint.config.mjs)', { timeout: 120_000 }, () => {
  it("fails a service's production code that imports the test harness", async () => {
    const errors = await boundaryErrors('services/ingest/src/main.ts', "import '@touchstream/testing';");
    expect(errors).toEqual([expect.stringContaining('testing is tagged type:tooling')]);
  });

  it('fails a production lib that imports local infrastructure or benchmark helpers', async () => {
    expect(await boundaryErrors('libs/platform/src/index.ts', "import '@touchstream/local-infra';")).toHaveLength(1);
    expect(await boundaryErrors('libs/kafka/src/index.ts', "import '@touchstream/bench';")).toHaveLength(1);
  });

  it("lets a service's specs and its src/testing/ helpers import the test harness", async () => {
    expect(await boundaryErrors('services/ingest/src/main.int.spec.ts', "import '@touchstream/testing';")).toEqual([]);
    expect(await boundaryErrors('services/ingest/src/testing/harness.ts', "import '@touchstream/testing';")).toEqual([]);
  });

  it('fails a domain lib that imports a framework or an infrastructure lib', async () => {
    expect(await boundaryErrors('libs/contracts/src/index.ts', "import '@nestjs/common';")).toEqual([
      expect.stringContaining('may not import @nestjs/common'),
    ]);
    expect(await boundaryErrors('libs/contracts/src/index.ts', "import '@touchstream/database';")).toEqual([
      expect.stringContaining('can only depend on projects tagged "scope:domain"'),
    ]);
  });

  it('fails a service importing another service, a file inside a package, or another project relatively', async () => {
    expect(await boundaryErrors('services/ingest/src/main.ts', "import '@touchstream/identity';")).toEqual([
      expect.stringContaining('identity is an application'),
    ]);
    expect(await boundaryErrors('services/ingest/src/main.ts', "import '@touchstream/kafka/src/index';")).toEqual([
      expect.stringContaining('not a file inside it'),
    ]);
    expect(await boundaryErrors('services/ingest/src/main.ts', "import '../../../libs/kafka/src/index';")).toEqual([
      expect.stringContaining('import it by its package name'),
    ]);
  });

  it('lets a service import a lib by its package name', async () => {
    expect(await boundaryErrors('services/ingest/src/main.ts', "import '@touchstream/logging';")).toEqual([]);
  });
});

describe('consumer handlers (eslint.config.mjs)', { timeout: 120_000 }, () => {
  const RESTRICTED = ['no-restricted-imports'];

  it('fails a service declaring a handler with a bare @EventPattern or @MessagePattern', async () => {
    const errors = await errorsOf(
      RESTRICTED,
      'services/identity/src/app.module.ts',
      "import { EventPattern } from '@nestjs/microservices';",
    );
    expect(errors).toEqual([expect.stringContaining('@ConsumeBatches')]);
    expect(
      await errorsOf(RESTRICTED, 'libs/eventing/src/index.ts', "import { MessagePattern } from '@nestjs/microservices';"),
    ).toHaveLength(1);
  });

  it("lets libs/platform's transport apply @EventPattern, and a service import the rest of @nestjs/microservices", async () => {
    const transport = 'libs/platform/src/kafka-batch-transport.ts';
    expect(await errorsOf(RESTRICTED, transport, "import { EventPattern as Pattern } from '@nestjs/microservices';")).toEqual([]);
    expect(await errorsOf(RESTRICTED, 'services/identity/src/app.module.ts', "import { Ctx } from '@nestjs/microservices';")).toEqual([]);
  });

  it('keeps kafkajs out of every lib but libs/kafka', async () => {
    expect(await errorsOf(RESTRICTED, 'libs/platform/src/index.ts', "import 'kafkajs';")).toHaveLength(1);
    expect(await errorsOf(RESTRICTED, 'libs/kafka/src/index.ts', "import { EventPattern } from '@nestjs/microservices';")).toHaveLength(1);
  });
});

describe('size caps (eslint.config.mjs)', { timeout: 120_000 }, () => {
  const SIZE_RULES = ['max-lines', 'max-lines-per-function', 'no-restricted-syntax', '@typescript-eslint/max-params'];
  const sixParams =
    'export function six(a: number, b: number, c: number, d: number, e: number, f: number) { return a + b + c + d + e + f; }';
  const longFunction = `export function long() {\n${Array.from({ length: 79 }, (_, index) => `  void ${index};`).join('\n')}\n}`;
  const longFile = Array.from({ length: 301 }, (_, index) => `export const line${index} = ${index};`).join('\n');

  it('fails production code with more than five parameters, a function of 81 lines or a file over 300', async () => {
    expect(await errorsOf(SIZE_RULES, 'libs/logging/src/index.ts', sixParams)).toEqual([expect.stringContaining('More than 5 parameters')]);
    expect(await errorsOf(SIZE_RULES, 'libs/logging/src/index.ts', longFunction)).toEqual([expect.stringContaining('too many lines (81)')]);
    expect(await errorsOf(SIZE_RULES, 'libs/logging/src/index.ts', longFile)).toEqual([expect.stringContaining('File has too many lines')]);
  });

  it('lets a constructor take up to eight parameters, for NestJS injection', async () => {
    const constructor = (count: number) =>
      `export class Wired { constructor(${Array.from({ length: count }, (_, index) => `readonly p${index}: number`).join(', ')}) {} }`;
    expect(await errorsOf(SIZE_RULES, 'libs/logging/src/index.ts', constructor(8))).toEqual([]);
    expect(await errorsOf(SIZE_RULES, 'libs/logging/src/index.ts', constructor(9))).toEqual([
      expect.stringContaining('too many parameters (9)'),
    ]);
  });

  it('lets a spec hold a long describe block, not more than five parameters', async () => {
    expect(await errorsOf(SIZE_RULES, 'libs/logging/src/logger.unit.spec.ts', longFunction)).toEqual([]);
    expect(await errorsOf(SIZE_RULES, 'libs/logging/src/logger.unit.spec.ts', sixParams)).toHaveLength(1);
  });
});

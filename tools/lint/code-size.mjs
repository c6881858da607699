// Production code's size, counted as the ESLint caps count (blank lines and comments skipped):
// files and functions of libs/ and services/ outside specs, src/testing/ and bench/.
// Usage: node tools/lint/code-size.mjs [checkout]   (a checkout of any commit; default: this one)
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const root = resolve(process.argv[2] ?? '.');
const isProduction = (file) =>
  /^(libs|services)\//.test(file) && !file.endsWith('.spec.ts') && !file.endsWith('.d.ts') && !/\/(testing|bench)\//.test(file);
const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: root, encoding: 'utf8' }).trim().split('\n').filter(isProduction);

// A cap of 0 makes ESLint report every file's and every function's count.
const count = { max: 0, skipBlankLines: true, skipComments: true };
const eslint = new ESLint({
  cwd: root,
  overrideConfigFile: true,
  overrideConfig: [
    {
      files: ['**/*.ts'],
      languageOptions: { parser: tseslint.parser },
      rules: { 'max-lines': ['error', count], 'max-lines-per-function': ['error', count] },
    },
  ],
});
const fileSizes = [];
const functionSizes = [];
for (const result of await eslint.lintFiles(files.map((file) => resolve(root, file)))) {
  const file = result.filePath.slice(root.length + 1);
  let lines = 0;
  for (const message of result.messages) {
    const size = Number(/\((\d+)\)/.exec(message.message)?.[1]);
    if (message.ruleId === 'max-lines') lines = size;
    if (message.ruleId === 'max-lines-per-function') {
      const name = /^(.*?) has too many lines/.exec(message.message)?.[1] ?? 'function';
      functionSizes.push({ size, where: `${file}:${message.line} ${name}` });
    }
  }
  fileSizes.push({ size: lines, where: file });
}

const byValue = (list) => list.map((entry) => entry.size).sort((a, b) => a - b);
const quantile = (list, q) => byValue(list)[Math.max(0, Math.ceil(q * list.length) - 1)];
const largest = (list, n) => [...list].sort((a, b) => b.size - a.size).slice(0, n);
const describe = (label, list, cap) => {
  console.log(
    `${label}: ${list.length}, median ${quantile(list, 0.5)} lines, p90 ${quantile(list, 0.9)}, ` +
      `over ${cap}: ${list.filter((entry) => entry.size > cap).length}`,
  );
  for (const { size, where } of largest(list, 3)) console.log(`  ${String(size).padStart(4)}  ${where}`);
};
console.log(`${root}: ${fileSizes.reduce((sum, entry) => sum + entry.size, 0)} lines of production TypeScript`);
describe('files', fileSizes, 300);
describe('functions', functionSizes, 80);

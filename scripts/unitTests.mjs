// The unit tests in two suites: `pure` (computations in this process: parsers, blocks, prompts,
// replies, rankings; seconds) and `process` (tests that start processes: runners, tracers, the CLI,
// the sandbox; minutes). A test file belongs to `process` when its source imports child_process or
// anything from src/host/, runs the built CLI, or starts the scripted model server; new tests are
// sorted without a list to keep. Runs the compiled files in out/ with `node --test`.
//
//   node scripts/unitTests.mjs pure|process|all
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const startsProcesses = /from '(node:)?child_process'|src\/host\/|dist\/cli|scriptedModelServer|spawn/;

function testSources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'support' ? [] : testSources(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}

/** { pure, process }: the compiled test files (out/…/*.test.js) of each suite. */
export function unitSuites(repo = root) {
  const suites = { pure: [], process: [] };
  for (const source of testSources(join(repo, 'test/unit'))) {
    const compiled = join(repo, 'out', relative(repo, source)).replace(/\.ts$/, '.js');
    suites[startsProcesses.test(readFileSync(source, 'utf8')) ? 'process' : 'pure'].push(compiled);
  }
  return suites;
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const which = process.argv[2] ?? 'all';
  const suites = unitSuites();
  const files = which === 'all' ? [...suites.pure, ...suites.process] : suites[which];
  if (!files) {
    console.error('usage: node scripts/unitTests.mjs pure|process|all');
    process.exit(2);
  }
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length) {
    console.error(`not built: ${missing.map((f) => relative(root, f)).join(', ')} (run npm run build:tests)`);
    process.exit(1);
  }
  const result = spawnSync(process.execPath, ['--test', ...files], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

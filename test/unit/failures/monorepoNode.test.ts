// A monorepo of node:test packages: each package's tests run once, from their own folder.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectSelection, runFolder } from '../../../src/host/runners/testService';
import { findTestProjects } from '../../../src/host/runners/projects';
import { repoRoot } from '../support/runnerCaptures';

const helpersDir = join(repoRoot, 'dist');
const pkg = JSON.stringify({ name: 'p', private: true, scripts: { test: 'node --test' } });
const testFile = (name: string) => `'use strict';\nconst test = require('node:test');\ntest(${JSON.stringify(name)}, () => { if (process.cwd().endsWith('sub') !== ${name.startsWith('sub')}) throw new Error('ran from ' + process.cwd()); });\n`;

test('a package inside another runs its tests once, from its own folder', { timeout: 60_000 }, async () => {
  assert.ok(existsSync(join(helpersDir, 'nodeTestReporter.js')), 'npm run build first');
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-monorepo-'));
  try {
    writeFileSync(join(dir, 'package.json'), pkg);
    writeFileSync(join(dir, 'root.test.js'), testFile('root test'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'package.json'), pkg);
    writeFileSync(join(dir, 'sub', 'sub.test.js'), testFile('sub test'));
    const projects = await findTestProjects(dir);
    assert.deepEqual(projects.map((p) => [p.root, p.framework, p.testFiles, !!p.hasNestedProjects]).sort(), [
      [dir, 'node', [join(dir, 'root.test.js')], true],
      [join(dir, 'sub'), 'node', [join(dir, 'sub', 'sub.test.js')], false],
    ]);
    const { reports } = await runFolder(dir, 'auto', { helpersDir, python: 'python3', testTimeoutMs: 10_000 });
    const results = reports.flatMap((r) => r.results);
    assert.deepEqual(results.map((r) => [r.name, r.outcome]).sort(), [['root test', 'passed'], ['sub test', 'passed']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('jest and vitest in a monorepo root run only the root\'s own test files; a root without any runs nothing', () => {
  for (const framework of ['jest', 'vitest'] as const) {
    const root = { root: '/repo', framework, testFiles: ['/repo/a.test.js'], hasNestedProjects: true };
    assert.deepEqual(projectSelection(root, {}), { files: ['/repo/a.test.js'] });
    assert.equal(projectSelection({ ...root, testFiles: [] }, {}), undefined);
    const chosen = { tests: [{ file: '/repo/a.test.js', suitePath: [], name: 'x' }] };
    assert.equal(projectSelection(root, chosen), chosen, 'a chosen test runs as chosen');
    const leaf = { root: '/repo/sub', framework, testFiles: ['/repo/sub/b.test.js'] };
    assert.deepEqual(projectSelection(leaf, {}), {}, 'a project without nested ones runs whole, as its config says');
  }
  const py = { root: '/repo', framework: 'pytest' as const, testFiles: [], hasNestedProjects: true };
  assert.deepEqual(projectSelection(py, {}), {}, 'pytest finds its own tests');
});

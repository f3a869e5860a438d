// Test files are found as the project's own test command or its runner's config finds them
// (fixtures in test/fixtures/runners/discovery/): an id generator whose test/ folder holds
// benchmark, prebuild and demo scripts (one writes a file when run) next to its *.test.js, while
// its script runs `node --test test/*.test.js`; jest's roots and testMatch; vitest's include;
// pytest's python_files. The Testing view, `failures` and the loop all take their files from here.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { findTestProjects } from '../../../src/host/runners/projects';
import { nodeTestFiles } from '../../../src/host/runners/testFiles';
import { runFolder, withTempDir } from '../../../src/host/runners/testService';
import { pytestAdapter } from '../../../src/host/runners/pytestAdapter';
import { fixtureProject } from '../../support/fixtureDeps';
import { repoRoot, runnersDir } from '../support/runnerCaptures';

const helpersDir = join(repoRoot, 'dist');
const fixture = (name: string, install = false) => fixtureProject(join(runnersDir, 'discovery', name), { install });

test('node:test: only the files the package.json script names; the benchmark, prebuild and demo scripts under test/ never run', { timeout: 120_000 }, async () => {
  const dir = fixture('node-idgen');
  try {
    const [project] = await findTestProjects(dir);
    assert.equal(project.framework, 'node');
    assert.deepEqual(project.testFiles.map((f) => relative(dir, f)), ['test/id.test.js']);
    const { reports } = await runFolder(dir, 'auto', { helpersDir, python: 'python3', testTimeoutMs: 20_000 });
    assert.deepEqual(reports.flatMap((r) => r.results).map((r) => [relative(dir, r.file), r.name, r.outcome]).sort(), [
      ['test/id.test.js', 'ids differ', 'passed'],
      ['test/id.test.js', 'ids have the prefix', 'passed'],
    ]);
    assert.deepEqual(readdirSync(dir).filter((f) => /generated|bench-results/.test(f)), [], 'no script under test/ ran');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('node:test file arguments: folders searched with node\'s patterns, quoted globs with **, shell globs without; no script: node\'s defaults', () => {
  const dir = fixture('node-idgen');
  try {
    const files = ['test/id.test.js', 'test/bench.js', 'test/unit/a.test.js', 'test/unit/deep/b.test.js', 'lib/c.spec.js', 'lib/helper.js'].map((f) => join(dir, f));
    const script = (text: string) => writeFileSync(join(dir, 'package.json'), JSON.stringify({ scripts: { test: text } }));
    const rel = (list: string[]) => list.map((f) => relative(dir, f)).sort();
    script('node --test "test/**/*.test.js"');
    assert.deepEqual(rel(nodeTestFiles(dir, files)), ['test/id.test.js', 'test/unit/a.test.js', 'test/unit/deep/b.test.js']);
    script('node --test test/**/*.test.js');
    assert.deepEqual(rel(nodeTestFiles(dir, files)), ['test/unit/a.test.js'], 'sh has no globstar: ** is *');
    script('node --test lib');
    assert.deepEqual(rel(nodeTestFiles(dir, files)), ['lib/c.spec.js']);
    script('tsc -p . && node --import tsx --test test/id.test.js lib/helper.js');
    assert.deepEqual(rel(nodeTestFiles(dir, files)), ['lib/helper.js', 'test/id.test.js']);
    writeFileSync(join(dir, 'package.json'), '{}');
    assert.deepEqual(rel(nodeTestFiles(dir, files)), ['lib/c.spec.js', 'test/bench.js', 'test/id.test.js', 'test/unit/a.test.js', 'test/unit/deep/b.test.js'], 'without a script, node itself would run test/bench.js too');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [name, framework, only] of [
  ['jest', 'jest', 'src/id.check.js'],
  ['vitest', 'vitest', 'checks/id.check.js'],
] as const) {
  test(`${name}: the files its config selects (asked of ${name} itself), not every *.test.js`, { timeout: 180_000 }, async () => {
    const dir = fixture(name, true);
    try {
      const projects = await findTestProjects(dir);
      const project = projects.find((p) => p.framework === framework)!;
      assert.deepEqual(project.testFiles.map((f) => relative(dir, f)), [only]);
      assert.equal(project.problems, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('pytest: discovery collects what pytest.ini\'s python_files says', { timeout: 120_000 }, async () => {
  const dir = fixture('pytest');
  try {
    const [project] = await findTestProjects(dir);
    const discovery = await withTempDir((tempDir) => pytestAdapter.discover({ cwd: project.root, helpersDir, python: 'python3', testTimeoutMs: 20_000, tempDir }, []));
    assert.deepEqual(discovery.tests.map((t) => t.name), ['test_a_check_pytest_collects']);
    assert.ok(!existsSync(join(dir, '.pytest_cache')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

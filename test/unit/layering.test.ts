import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const repoRoot = join(__dirname, '../../..');

async function check(files: Record<string, string>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-layers-'));
  try {
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
    const { checkLayers } = await import(pathToFileURL(join(repoRoot, 'scripts/checkLayers.mjs')).href);
    return checkLayers(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the real source tree follows the layering rule', async () => {
  const { checkLayers } = await import(pathToFileURL(join(repoRoot, 'scripts/checkLayers.mjs')).href);
  assert.deepEqual(checkLayers(join(repoRoot, 'src')), []);
});

test("a 'vscode' import in src/core is rejected", async () => {
  const problems = await check({ 'core/a.ts': "import * as vscode from 'vscode';\nexport const x = vscode;\n" });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /a\.ts:1: 'vscode' may only be imported in src\/vscode\//);
});

test("'vscode' is rejected in src/host and in the CLI's entry, accepted in src/vscode and the editor's entry", async () => {
  const problems = await check({
    'host/h.ts': "import type { Uri } from 'vscode';\n",
    'cli.ts': "import { run } from './host/cli';\nimport * as vscode from 'vscode';\n",
    'extension.ts': "export * from 'vscode';\nimport { activate } from './vscode/activate';\n",
    'vscode/ok.ts': "import * as vscode from 'vscode';\n",
  });
  assert.equal(problems.length, 2, problems.join('\n'));
});

test('an allowlist: a file outside the layer folders, a package core may not use, and the CLI reaching the editor are each rejected', async () => {
  const problems = await check({
    'util.ts': 'export const x = 1;\n',
    'misc/y.ts': 'export const y = 1;\n',
    'core/a.ts': "import { execa } from 'execa';\nimport picomatch from 'picomatch';\nimport { z } from '../util';\n",
    'cli.ts': "import { show } from './vscode/show';\n",
    'host/ok.ts': "import { spawn } from 'node:child_process';\nimport { a } from '../core/a';\n",
  });
  assert.equal(problems.length, 5, problems.join('\n'));
  assert.ok(problems.some((p) => /src\/util\.ts: every file of src\//.test(p)));
  assert.ok(problems.some((p) => /'execa'/.test(p)));
});

test("Node's process and file APIs are rejected in src/core, in every spelling", async () => {
  const problems = await check({
    'core/a.ts': "import { spawn } from 'child_process';\n",
    'core/b.ts': "import * as fs from 'node:fs';\n",
    'core/c.ts': "const p = require('fs/promises');\n",
    'core/d.ts': "export async function f() { return import('node:child_process'); }\n",
    'core/ok.ts': "import * as path from 'node:path';\n",
  });
  assert.equal(problems.length, 4, problems.join('\n'));
});

test('src/core may not reach into the host or editor layers', async () => {
  const problems = await check({
    'core/a.ts': "import { x } from '../host/x';\nimport { y } from '../vscode/y';\n",
    'host/x.ts': "import { z } from '../core/z';\n",
  });
  assert.equal(problems.length, 2, problems.join('\n'));
});

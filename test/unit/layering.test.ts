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

test("'vscode' is rejected in src/host and at the top level, accepted in src/vscode", async () => {
  const problems = await check({
    'host/h.ts': "import type { Uri } from 'vscode';\n",
    'extension.ts': "export * from 'vscode';\n",
    'vscode/ok.ts': "import * as vscode from 'vscode';\n",
  });
  assert.equal(problems.length, 2);
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

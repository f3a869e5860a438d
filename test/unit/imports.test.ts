import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readImports } from '../../src/core/blocks/imports';
import { moduleFileCandidates } from '../../src/core/blocks/moduleResolution';
import { parseSource } from './support/fixtures';

test('Python imports: modules, aliases, from-imports, relative imports', async () => {
  const source = 'import os\nimport a.b.c\nimport a.b as m\nfrom x.y import c as d, e\nfrom . import z\nfrom ..p.q import r\n';
  const p = await parseSource(source, 'python');
  assert.deepEqual(readImports(p.tree.rootNode, 'python'), [
    { local: 'os', module: 'os', imported: '*' },
    { local: 'a.b.c', module: 'a.b.c', imported: '*' },
    { local: 'm', module: 'a.b', imported: '*' },
    { local: 'd', module: 'x.y', imported: 'c' },
    { local: 'e', module: 'x.y', imported: 'e' },
    { local: 'z', module: '.', imported: 'z' },
    { local: 'r', module: '..p.q', imported: 'r' },
  ]);
  p.tree.delete();
});

test('JavaScript imports: default, named, namespace, require and destructured require', async () => {
  const source = [
    "import d, { a as b, c } from './m';",
    "import * as ns from '../n.js';",
    "const m = require('./m');",
    'const { a: e, f } = require("./k");',
    "const notImport = load('./x');",
  ].join('\n');
  const p = await parseSource(source, 'typescript');
  assert.deepEqual(readImports(p.tree.rootNode, 'typescript'), [
    { local: 'd', module: './m', imported: 'default' },
    { local: 'b', module: './m', imported: 'a' },
    { local: 'c', module: './m', imported: 'c' },
    { local: 'ns', module: '../n.js', imported: '*' },
    { local: 'm', module: './m', imported: '*' },
    { local: 'e', module: './k', imported: 'a' },
    { local: 'f', module: './k', imported: 'f' },
  ]);
  p.tree.delete();
});

test('module files to try, most likely first', () => {
  assert.deepEqual(moduleFileCandidates('pkg.mod', '/ws/tests/unit/test_x.py', 'python', ['/ws']).slice(0, 4), [
    '/ws/tests/unit/pkg/mod.py',
    '/ws/tests/unit/pkg/mod/__init__.py',
    '/ws/tests/pkg/mod.py',
    '/ws/tests/pkg/mod/__init__.py',
  ]);
  assert.ok(moduleFileCandidates('pkg.mod', '/ws/tests/unit/test_x.py', 'python', ['/ws']).includes('/ws/pkg/mod.py'));
  assert.deepEqual(moduleFileCandidates('..models', '/ws/app/views/test_v.py', 'python', ['/ws']), ['/ws/app/models.py', '/ws/app/models/__init__.py']);
  assert.deepEqual(moduleFileCandidates('.', '/ws/app/test_v.py', 'python', ['/ws']), ['/ws/app/__init__.py']);
  const js = moduleFileCandidates('../src/math.js', '/ws/test/math.test.ts', 'javascript', ['/ws']);
  assert.deepEqual(js.slice(0, 3), ['/ws/src/math.js', '/ws/src/math.ts', '/ws/src/math.tsx']);
  assert.ok(moduleFileCandidates('./lib', '/ws/a.js', 'javascript', ['/ws']).includes('/ws/lib/index.js'));
  assert.deepEqual(moduleFileCandidates('lodash', '/ws/a.js', 'javascript', ['/ws']), []);
});

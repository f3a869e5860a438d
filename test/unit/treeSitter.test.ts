import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { sourceLanguages } from '../../src/core/blocks/languages';
import { defaultTreeSitterPaths, TreeSitterParser } from '../../src/host/treeSitter';
import { repoRoot } from './support/fixtures';

test('the default paths are the repository grammars and a runtime that exists', () => {
  const paths = defaultTreeSitterPaths();
  assert.equal(paths.grammarsDir, join(repoRoot, 'grammars'));
  assert.match(paths.runtimeWasm, /web-tree-sitter\.wasm$/);
});

test('every language loads and parses, concurrently, each grammar once', async () => {
  const parser = new TreeSitterParser();
  const trees = await Promise.all(sourceLanguages.map((language) => parser.parse('x = 1\n', language)));
  for (const tree of trees) {
    assert.ok(tree.rootNode.namedChildren.length > 0);
    tree.delete();
  }
});

test('a missing grammar folder is a clear error, and does not break later parsers', async () => {
  const broken = new TreeSitterParser({ ...defaultTreeSitterPaths(), grammarsDir: join(repoRoot, 'no-such-folder') });
  await assert.rejects(broken.parse('x = 1', 'python'), /grammar for python not found at .*no-such-folder.*npm run build/);
  const tree = await new TreeSitterParser().parse('x = 1', 'python');
  assert.equal(tree.rootNode.type, 'module');
  tree.delete();
});

test('defaultTreeSitterPaths explains when there are no grammars above', () => {
  assert.throws(() => defaultTreeSitterPaths('/'), /grammars not found above \/: run 'npm run build'/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { languageForFile } from '../../src/core/blocks/languages';
import { LineIndex } from '../../src/core/blocks/positions';

test('offsets to 1-based lines and UTF-16 characters, and back', () => {
  const text = 'a\r\n\tb😀c\n\nlast';
  const lines = new LineIndex(text);
  assert.equal(lines.lineCount, 4);
  assert.deepEqual(lines.positionAt(0), { line: 1, character: 0 });
  // '\r' ends line 1 as far as characters go; the next line starts after '\n'.
  assert.deepEqual(lines.positionAt(1), { line: 1, character: 1 });
  assert.deepEqual(lines.positionAt(3), { line: 2, character: 0 });
  const c = text.indexOf('c');
  assert.deepEqual(lines.positionAt(c), { line: 2, character: 4 }); // tab, b, and two code units of 😀
  assert.deepEqual(lines.positionAt(text.length), { line: 4, character: 4 });
  for (let offset = 0; offset <= text.length; offset++) {
    if (text[offset - 1] === '\r' && text[offset] === '\n') continue;
    assert.equal(lines.offsetAt(lines.positionAt(offset)), offset, `offset ${offset}`);
  }
  assert.equal(lines.lineEnd(1), 1);
  assert.equal(lines.lineEnd(2), c + 1);
  assert.equal(lines.offsetAt({ line: 1, character: 99 }), 1, 'clamped to the end of the line');
  assert.equal(lines.offsetAt({ line: 9, character: 0 }), text.length);
});

test('languages by file extension', () => {
  const expected: Record<string, string | undefined> = {
    'a.py': 'python',
    'a.js': 'javascript',
    'a.mjs': 'javascript',
    'a.cjs': 'javascript',
    'a.jsx': 'javascript',
    'a.ts': 'typescript',
    'a.mts': 'typescript',
    'a.cts': 'typescript',
    'A.TSX': 'tsx',
    'dir.py/README': undefined,
    'a.rb': undefined,
    Makefile: undefined,
  };
  for (const [file, language] of Object.entries(expected)) assert.equal(languageForFile(file), language, file);
});

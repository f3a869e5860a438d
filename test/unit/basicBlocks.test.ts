import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { segmentFunction } from '../../src/core/blocks/basicBlocks';
import { BlocksError } from '../../src/core/blocks/blocksError';
import { blocksOfFunction } from '../../src/core/blocks/functionBlocks';
import { blockInvariantProblems } from './support/blockInvariants';
import { describeBlock, parseFixture, parseSource, parser, type ParsedFixture } from './support/fixtures';

const fixtureFiles = ['constructs.py', 'constructs.js', 'constructs.ts', 'component.tsx', 'tabs.py'];

/** Functions that put two blocks on one line on purpose (`if (x) return 1;`). */
const oneLiners = new Set([
  'constructs.py:one_line_if',
  'constructs.js:firstEven',
  'constructs.js:keysOf',
  'constructs.js:drain',
  'constructs.js:findPair',
  'constructs.js:cleanup',
  'constructs.js:early',
  'constructs.js:oneLine',
  'constructs.ts:total',
  'component.tsx:ItemList.<anonymous>',
  'component.tsx:Counter.render',
]);

const parsed = new Map<string, ParsedFixture>();
async function fixture(file: string): Promise<ParsedFixture> {
  let p = parsed.get(file);
  if (!p) {
    p = await parseFixture('blocks', file);
    parsed.set(file, p);
  }
  return p;
}
after(() => {
  for (const p of parsed.values()) p.tree.delete();
});

describe('segmentation invariants on the hand-written fixtures', () => {
  for (const file of fixtureFiles) {
    test(`every function in ${file}`, async () => {
      const p = await fixture(file);
      assert.ok(p.functions.length > 0);
      for (const fn of p.functions) {
        const blocks = segmentFunction(fn, p.source, p.language, p.lines);
        const strict = !oneLiners.has(`${file}:${fn.qualifiedName}`);
        assert.deepEqual(blockInvariantProblems(blocks, fn, p.source, { oneBlockPerLine: strict }), [], `${file}: ${fn.qualifiedName}`);
      }
    });
  }

  test('the one-liner list is not stale: each of them does share a line', async () => {
    for (const entry of oneLiners) {
      const [file, name] = entry.split(':');
      const p = await fixture(file);
      const fn = p.functions.find((f) => f.qualifiedName === name)!;
      const problems = blockInvariantProblems(segmentFunction(fn, p.source, p.language, p.lines), fn, p.source, { oneBlockPerLine: true });
      assert.ok(problems.length > 0, entry);
    }
  });
});

/** Exact blocks for a representative set: `id kind start-end -> successors`, lines 1-based, characters 0-based. */
const expected: Record<string, Record<string, string[]>> = {
  'constructs.py': {
    classify: [
      'b1 branch 14:4-14:13 -> b2,b3',
      'b2 straight 15:8-15:26 -> b6',
      'b3 branch 16:4-16:16 -> b4,b5',
      'b4 straight 17:8-17:22 -> b6',
      'b5 straight 18:4-19:26 -> b6',
      'b6 return 20:4-20:16 -> ',
    ],
    find_first: [
      'b1 loop-header 24:4-24:40 -> b2,b6',
      'b2 branch 25:8-25:24 -> b3,b4',
      'b3 continue 26:12-26:20 -> b1',
      'b4 branch 27:8-27:26 -> b5,b1',
      'b5 break 28:12-28:17 -> b7',
      'b6 straight 29:4-30:18 -> b7',
      'b7 return 31:4-31:16 -> ',
    ],
    drain: [
      'b1 straight 35:4-35:12 -> b2',
      'b2 loop-header 36:4-36:15 -> b3',
      'b3 straight 37:8-37:26 -> b4',
      'b4 branch 38:8-38:24 -> b5,b6',
      'b5 break 39:12-39:17 -> b7',
      'b6 straight 40:8-40:17 -> b2',
      'b7 return 41:4-41:15 -> ',
    ],
    load: [
      'b1 straight 53:4-55:32 -> b4,b2,b3',
      'b2 handler 56:4-58:19 -> b5',
      'b3 handler 59:4-60:13 -> b5',
      'b4 straight 61:4-62:29 -> b5',
      'b5 finally 63:4-64:24 -> b6',
      'b6 return 65:4-65:15 -> ',
    ],
    read_text: ['b1 with 69:4-69:30 -> b2', 'b2 straight 70:8-71:24 -> b3', 'b3 return 72:4-72:21 -> '],
    describe: [
      'b1 branch 76:4-76:18 -> b2,b3,b4',
      'b2 case 77:8-78:41 -> b5',
      'b3 case 79:8-80:31 -> b5',
      'b4 case 81:8-82:30 -> b5',
      'b5 return 83:4-83:17 -> ',
    ],
    describe_partial: [
      'b1 branch 87:4-87:16 -> b2,b3,b4',
      'b2 case 88:8-89:27 -> ',
      'b3 case 90:8-91:36 -> ',
      'b4 return 92:4-92:22 -> ',
    ],
    numbers: [
      'b1 straight 96:4-96:9 -> b2',
      'b2 loop-header 97:4-97:20 -> b3,b5',
      'b3 yield 98:8-98:15 -> b4',
      'b4 straight 99:8-99:14 -> b2',
      'b5 yield 100:4-100:27 -> b6',
      'b6 straight 101:4-101:19 -> ',
    ],
    outer: ['b1 return 110:4-121:47 -> '],
    'outer.key': ['b1 return 120:20-120:22 -> '],
    early_exit: [
      'b1 branch 125:4-125:9 -> b2,b3',
      'b2 return 126:8-126:16 -> ',
      'b3 throw 127:4-128:30 -> ',
      'b4 straight 129:4-129:24 -> ',
    ],
    one_liner: ['b1 return 132:18-132:30 -> '],
    one_line_if: ['b1 branch 136:4-136:9 -> b2,b3', 'b2 return 136:10-136:18 -> ', 'b3 return 137:4-137:12 -> '],
    empty: ['b1 straight 141:4-141:8 -> '],
    try_finally_in_loop: [
      'b1 loop-header 158:4-158:22 -> b2,b8',
      'b2 branch 159:8-160:24 -> b3,b4,b7',
      'b3 break 161:16-161:21 -> b7',
      'b4 branch 162:12-162:25 -> b5,b6,b7',
      'b5 continue 163:16-163:24 -> b7',
      'b6 straight 164:12-164:23 -> b7',
      'b7 finally 165:8-166:32 -> b1,b8',
      'b8 return 167:4-167:16 -> ',
    ],
    'Account.withdraw': ['b1 branch 197:8-197:33 -> b2,b3', 'b2 throw 198:12-198:50 -> ', 'b3 return 199:8-200:27 -> '],
  },
  'constructs.js': {
    classify: [
      'b1 straight 11:2-11:12 -> b2',
      'b2 branch 12:2-12:12 -> b3,b4',
      'b3 straight 13:4-13:23 -> b7',
      'b4 branch 14:4-14:21 -> b5,b6',
      'b5 straight 15:4-15:19 -> b7',
      'b6 straight 16:4-17:23 -> b7',
      'b7 return 19:2-19:15 -> ',
    ],
    keysOf: [
      'b1 straight 39:2-39:18 -> b2',
      'b2 loop-header 40:2-40:27 -> b3,b4',
      'b3 straight 40:28-40:43 -> b2',
      'b4 return 41:2-41:14 -> ',
    ],
    retry: [
      'b1 straight 55:2-55:16 -> b2',
      'b2 straight 56:2-57:12 -> b3',
      'b3 loop-header 58:4-58:28 -> b2,b4',
      'b4 return 59:2-59:15 -> ',
    ],
    weekday: [
      'b1 straight 63:2-63:23 -> b2',
      'b2 branch 64:2-64:12 -> b3,b4,b5,b6,b7',
      'b3 case 65:4-65:11 -> b4',
      'b4 case 66:4-68:12 -> b8',
      'b5 case 69:4-70:22 -> b6',
      'b6 case 72:4-74:12 -> b8',
      'b7 case 75:4-76:20 -> b8',
      'b8 return 78:2-78:14 -> ',
    ],
    findPair: [
      'b1 straight 82:2-82:19 -> b2',
      'b2 loop-header 83:2-83:46 -> b3,b8',
      'b3 loop-header 84:4-84:44 -> b4,b2',
      'b4 branch 85:6-85:25 -> b5,b6',
      'b5 continue 85:26-85:41 -> b2',
      'b6 branch 86:6-86:32 -> b7,b3',
      'b7 break 87:8-88:20 -> b8',
      'b8 return 92:2-92:15 -> ',
    ],
    parse: [
      'b1 straight 96:2-96:13 -> b2',
      'b2 straight 97:2-98:30 -> b3,b4',
      'b3 handler 99:4-101:16 -> b4',
      'b4 finally 102:4-103:26 -> b5',
      'b5 return 105:2-105:16 -> ',
    ],
    cleanup: [
      'b1 loop-header 117:2-117:27 -> b2',
      'b2 branch 118:4-119:16 -> b3,b4,b5',
      'b3 break 119:17-119:23 -> b5',
      'b4 straight 120:6-120:19 -> b5',
      'b5 finally 121:6-122:28 -> b1',
    ],
    numbers: [
      'b1 straight 128:2-128:12 -> b2',
      'b2 loop-header 129:2-129:19 -> b3,b5',
      'b3 yield 130:4-130:12 -> b4',
      'b4 straight 131:4-131:8 -> b2',
      'b5 yield 133:2-133:32 -> b6',
      'b6 return 134:2-134:18 -> ',
    ],
    withStatement: ['b1 with 156:2-156:10 -> b2', 'b2 straight 157:4-157:19 -> b3', 'b3 return 159:2-159:11 -> '],
    nestedBlock: ['b1 return 164:4-167:11 -> '],
    oneLine: ['b1 branch 170:22-170:28 -> b2,b3', 'b2 return 170:31-170:40 -> ', 'b3 return 170:43-170:52 -> '],
    empty: ['b1 straight 172:17-172:19 -> '],
    double: ['b1 return 174:22-174:27 -> '],
    'Account.onChange': ['b1 straight 188:4-188:27 -> '],
  },
  'constructs.ts': {
    total: [
      'b1 straight 16:2-17:14 -> b2',
      'b2 loop-header 18:2-18:43 -> b3,b6',
      'b3 branch 19:4-19:27 -> b4,b5',
      'b4 continue 19:28-19:37 -> b2',
      'b5 straight 20:4-20:38 -> b2',
      'b6 return 22:2-23:24 -> ',
    ],
    statusLabel: ['b1 branch 39:2-39:17 -> b2,b3', 'b2 case 40:4-41:20 -> ', 'b3 case 42:4-43:22 -> '],
    parseAmount: [
      'b1 straight 67:2-67:20 -> b2',
      'b2 straight 68:2-69:36 -> b3,b4',
      'b3 handler 70:4-71:21 -> ',
      'b4 return 73:2-73:49 -> ',
    ],
    default: ['b1 return 77:2-77:40 -> '],
  },
  'component.tsx': {
    ItemList: [
      'b1 straight 11:2-14:27 -> b2',
      'b2 branch 16:2-16:25 -> b3,b4',
      'b3 return 17:4-17:45 -> ',
      'b4 return 19:2-30:4 -> ',
    ],
    Badge: ['b1 return 33:55-33:109 -> '],
    'Counter.render': [
      'b1 straight 43:4-43:28 -> b2',
      'b2 loop-header 44:4-44:27 -> b3,b4',
      'b3 straight 45:6-45:23 -> b2',
      'b4 branch 47:4-47:19 -> b5,b6',
      'b5 straight 47:20-47:48 -> b6',
      'b6 return 48:4-48:17 -> ',
    ],
  },
};

describe('exact block boundaries', () => {
  for (const [file, functions] of Object.entries(expected)) {
    for (const [name, blocks] of Object.entries(functions)) {
      test(`${file} ${name}`, async () => {
        const p = await fixture(file);
        assert.deepEqual(p.blocks(name).map(describeBlock), blocks);
      });
    }
  }

  test("a keyword that runs nothing joins the block after it: Python's else, JavaScript's else if", async () => {
    const py = await fixture('constructs.py');
    assert.equal(py.blocks('classify')[4].text, 'else:\n        label = "positive"');
    const js = await fixture('constructs.js');
    assert.equal(js.blocks('classify')[3].text, 'else if (n === 0)');
    assert.equal(js.blocks('retry')[1].text, 'do {\n    tries++;');
  });

  test('headers stop at their colon or parenthesis, comments after them left out', async () => {
    const p = await parseSource('def f(xs):\n    for x in xs:  # each\n        print(x)\n', 'python');
    assert.equal(p.blocks('f')[0].text, 'for x in xs:');
    p.tree.delete();
  });
});

describe('awkward input', () => {
  test('CRLF line endings give the same blocks as LF', async () => {
    for (const file of ['constructs.py', 'constructs.js']) {
      const lf = await fixture(file);
      const crlf = await parseSource(lf.source.replace(/\n/g, '\r\n'), lf.language);
      for (const fn of lf.functions) {
        const expectedBlocks = lf.blocks(fn.qualifiedName);
        const actual = crlf.blocks(fn.qualifiedName);
        assert.deepEqual(actual.map(describeBlock), expectedBlocks.map(describeBlock), `${file} ${fn.qualifiedName}`);
        assert.deepEqual(actual.map((b) => b.text.replace(/\r\n/g, '\n')), expectedBlocks.map((b) => b.text));
        const crlfFn = crlf.fn(fn.qualifiedName);
        assert.deepEqual(blockInvariantProblems(actual, crlfFn, crlf.source), []);
      }
      crlf.tree.delete();
    }
  });

  test('tabs count as one character each', async () => {
    const p = await fixture('tabs.py');
    assert.deepEqual(p.blocks('tabbed').map(describeBlock), [
      'b1 straight 2:1-2:10 -> b2',
      'b2 loop-header 3:1-3:17 -> b3,b5',
      'b3 branch 4:2-4:7 -> b4,b2',
      'b4 straight 5:3-5:13 -> b2',
      'b5 return 6:1-6:13 -> ',
    ]);
  });

  test('columns are UTF-16 code units, also after non-ASCII identifiers and astral characters', async () => {
    const p = await fixture('constructs.py');
    const line = p.source.split('\n')[179];
    const [first] = p.blocks('grüße');
    assert.equal(first.text, 'grußwort = "Grüß Gott, " + name + " 😀"');
    assert.equal(first.range.end.character, line.length);

    const js = await parseSource("function f(s) {\n  const t = '😀é'; if (t) return s;\n}\n", 'javascript');
    const blocks = js.blocks('f');
    const code = js.source.split('\n')[1];
    assert.deepEqual(blocks.map((b) => [b.text, b.range.start.character]), [
      ["const t = '😀é';", code.indexOf('const')],
      ['if (t)', code.indexOf('if')],
      ['return s;', code.indexOf('return')],
    ]);
    js.tree.delete();
  });

  test('an empty JavaScript body is one block; a Python body of pass is one block', async () => {
    const js = await fixture('constructs.js');
    const [block] = js.blocks('empty');
    assert.equal(block.text, '{}');
    assert.deepEqual(block.successors, []);
    assert.equal((await fixture('constructs.py')).blocks('docstring_only').length, 1);
  });

  test('a syntax error inside the function is reported with its line', async () => {
    for (const [file, line] of [['broken.py', 8], ['broken.js', 6]] as const) {
      const p = await parseFixture('blocks', file);
      assert.throws(
        () => p.blocks('broken'),
        (error: unknown) => error instanceof BlocksError && error.code === 'syntax-error' && error.line === line && error.message.includes(`line ${line}`),
      );
      p.tree.delete();
    }
  });

  test('a syntax error elsewhere in the file does not stop the functions that parse', async () => {
    for (const file of ['broken.py', 'broken.js']) {
      const p = await parseFixture('blocks', file);
      for (const name of p.functions.map((f) => f.qualifiedName).filter((n) => n !== 'broken')) {
        const blocks = p.blocks(name);
        assert.deepEqual(blockInvariantProblems(blocks, p.fn(name), p.source, { oneBlockPerLine: true }), [], `${file} ${name}`);
      }
      p.tree.delete();
    }
  });

  test('code the parser cannot read as a function: the error names the line', async () => {
    const source = 'x = 1\n\ndef f(a:\n    return a\n';
    await assert.rejects(blocksOfFunction(source, 'python', parser, { line: 4 }), (error: unknown) => {
      return error instanceof BlocksError && error.code === 'syntax-error' && /line \d/.test(error.message);
    });
  });

  test('10,000-line files segment, in Python and JavaScript', { timeout: 60_000 }, async () => {
    const python = [...Array(2000).keys()].map((i) => `def f${i}(x):\n    if x > ${i}:\n        return x\n    return ${i}\n`).join('\n');
    const bigBody = [...Array(1000).keys()].map((i) => `    for i in range(${i}):\n        if i % 3:\n            total += i\n        else:\n            continue\n`).join('');
    const pySource = `${python}\ndef big(total):\n${bigBody}    return total\n`;
    assert.ok(pySource.split('\n').length > 10_000);
    const py = await parseSource(pySource, 'python');
    for (const name of ['f0', 'f1999', 'big']) {
      const blocks = py.blocks(name);
      assert.deepEqual(blockInvariantProblems(blocks, py.fn(name), py.source, { oneBlockPerLine: true }), [], name);
    }
    assert.equal(py.blocks('big').length, 1000 * 4 + 1);
    py.tree.delete();

    const jsBody = [...Array(2500).keys()].map((i) => `  if (x === ${i}) {\n    y += ${i};\n  }\n  y++;\n`).join('');
    const js = await parseSource(`function big(x) {\n  let y = 0;\n${jsBody}  return y;\n}\n`, 'javascript');
    const blocks = js.blocks('big');
    // `let y`, then per round: the if, its body, `y++` (the last one joined by the return).
    assert.equal(blocks.length, 1 + 2500 * 3);
    assert.deepEqual(blockInvariantProblems(blocks, js.fn('big'), js.source, { oneBlockPerLine: true }), []);
    js.tree.delete();
  });
});

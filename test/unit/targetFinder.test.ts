import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { InMemorySourceFiles } from '../../src/core/blocks/sourceFiles';
import { isConventionalTestFile, TargetFinder, type TargetCandidate } from '../../src/core/blocks/targetFinder';
import { parseStackFrames } from '../../src/core/failures/stackFrames';
import { NodeSourceFiles } from '../../src/host/nodeSourceFiles';
import { fixturePath, parser, readFixture } from './support/fixtures';

/** The captured outputs name the projects' folder `/project` (see test/fixtures/stacks/capture.sh). */
function projectFiles(project: string): InMemorySourceFiles {
  const files = new InMemorySourceFiles();
  const root = fixturePath('stacks', project);
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) visit(path);
      else files.set(join('/project', relative(root, path)), readFileSync(path, 'utf8'));
    }
  };
  visit(root);
  return files;
}

const brief = (candidates: TargetCandidate[]) => candidates.map((c) => `${c.file.replace('/project/', '')}:${c.functionName} (${c.reason})`);

async function findFromFixture(finder: TargetFinder, ...fixture: string[]): Promise<string[]> {
  return brief(await finder.find({ stack: parseStackFrames(readFixture('stacks', ...fixture)) }));
}

describe('target from real Python failures', () => {
  const finder = new TargetFinder(projectFiles('pythonProject'), parser, { roots: ['/project'] });
  const cases: [string, string[]][] = [
    // An exception in user code: the innermost frame outside the tests, then its callers.
    ['test_unknown_category', ['inventory/pricing.py:tax_rate (stack-frame)', 'inventory/pricing.py:total_with_tax.line_total (stack-frame)', 'inventory/pricing.py:total_with_tax (stack-frame)']],
    ['test_discount', ['inventory/pricing.py:discount (stack-frame)']],
    ['test_average_of_empty_cart', ['inventory/cart.py:Cart.average_price (stack-frame)']],
    // The innermost frames are in the json module, outside the workspace.
    ['test_from_json', ['inventory/cart.py:Cart.from_json (stack-frame)']],
    // Assertions in the test: what the test calls, the asserted call first.
    ['test_subtotal', ['inventory/pricing.py:subtotal (called-by-test)']],
    // Cart.total only hands its items on to subtotal (a thin wrapper): the logic, and the bug, are there.
    ['test_cart_total', ['inventory/pricing.py:subtotal (called-by-test)', 'inventory/cart.py:Cart.total (called-by-test)', 'inventory/cart.py:Cart.add (called-by-test)', 'inventory/cart.py:Cart.__init__ (called-by-test)']],
    ['test_module_attribute', ['inventory/pricing.py:tax_rate (called-by-test)']],
  ];
  for (const [name, expected] of cases) {
    for (const format of ['long', 'native']) {
      test(`${name} (--tb=${format})`, async () => {
        assert.deepEqual(await findFromFixture(finder, 'python', `${name}.${format}.txt`), expected);
      });
    }
  }

  test('an uncaught exception in a script', async () => {
    assert.deepEqual(await findFromFixture(finder, 'python', 'report_script.txt'), [
      'inventory/cart.py:Cart.average_price (stack-frame)',
      'inventory/report.py:main (stack-frame)',
      // main called it before the failing line: its result may be what went wrong.
      'inventory/cart.py:Cart.from_json (reached-from-test)',
    ]);
  });

  test('on disk, with the relative paths pytest prints', async () => {
    const root = fixturePath('stacks', 'pythonProject');
    const onDisk = new TargetFinder(new NodeSourceFiles(), parser, { roots: [root] });
    const [first] = await onDisk.find({ stack: parseStackFrames(readFixture('stacks', 'python', 'test_subtotal.long.txt')) });
    assert.equal(first.file, join(root, 'inventory', 'pricing.py'));
    assert.equal(first.functionName, 'subtotal');
    assert.equal(first.language, 'python');
    assert.deepEqual([first.range.start.line, first.range.end.line], [6, 10]);
    assert.equal(first.evidenceLine, 11);
  });
});

describe('target from real V8 stacks', () => {
  const finder = new TargetFinder(projectFiles('nodeProject'), parser, { roots: ['/project'] });
  const cases: [string, string[]][] = [
    ['unknownCategory', ['src/pricing.js:taxRate (stack-frame)', 'src/pricing.js:totalWithTax.lineTotal (stack-frame)', 'src/pricing.js:totalWithTax (stack-frame)']],
    ['emptyCart', ['src/pricing.js:Cart.averagePrice (stack-frame)']],
    // A class field holding an arrow function, called from a method.
    ['zeroQuantity', ['src/pricing.js:Cart.onAdd (stack-frame)', 'src/pricing.js:Cart.add (stack-frame)']],
    // A default export in an ES module, reached through a file:// URL in the TAP output.
    ['negativePrice', ['src/format.mjs:formatPrice (stack-frame)']],
    ['subtotal', ['src/pricing.js:subtotal (called-by-test)']],
    ['cartTotal', ['src/pricing.js:subtotal (called-by-test)', 'src/pricing.js:Cart.total (called-by-test)', 'src/pricing.js:Cart.add (called-by-test)', 'src/pricing.js:Cart.onAdd (reached-from-test)']],
    ['euroSymbol', ['src/format.mjs:currency (called-by-test)']],
  ];
  for (const [name, expected] of cases) {
    for (const reporter of ['spec', 'tap']) {
      test(`${name} (${reporter} reporter)`, async () => {
        assert.deepEqual(await findFromFixture(finder, 'node', `${name}.${reporter}.txt`), expected);
      });
    }
  }

  test('an uncaught error outside any test', async () => {
    assert.deepEqual((await findFromFixture(finder, 'node', 'uncaught.txt'))[0], 'src/pricing.js:taxRate (stack-frame)');
  });
});

describe('finder details', () => {
  const files = new InMemorySourceFiles([
    ['/ws/src/math.ts', 'export function add(a: number, b: number) {\n  return a - b;\n}\nexport class Calc {\n  mul(a: number, b: number) {\n    return a + b;\n  }\n}\n'],
    ['/ws/src/legacy.js', 'exports.square = function (x) {\n  return x + x;\n};\nmodule.exports.cube = (x) => x * x;\n'],
    ['/ws/src/format.js', 'module.exports = function format(n) {\n  return String(n);\n};\n'],
    [
      '/ws/test/math.test.ts',
      [
        "import { add as plus, Calc } from '../src/math.js';",
        "import * as legacy from '../src/legacy';",
        "const format = require('../src/format');",
        "import { test } from 'node:test';",
        "test('all', () => {",
        '  const calc = new Calc();',
        '  assert.equal(legacy.square(3), 9);',
        '  assert.equal(format(plus(1, 2)), "3");',
        '  assert.equal(calc.mul(2, 3), 6);',
        '});',
      ].join('\n'),
    ],
    ['/py/buggy/gcd.py', 'def gcd(a, b):\n    return a\n'],
    ['/py/correct/gcd.py', 'def gcd(a, b):\n    return b\n'],
    ['/py/tests/test_gcd.py', 'import pytest\nif pytest.use_correct:\n    from correct.gcd import gcd\nelse:\n    from buggy.gcd import gcd\n\n\ndef test_gcd():\n    assert gcd(4, 2) == 2\n'],
  ]);
  const finder = new TargetFinder(files, parser, { roots: ['/ws', '/py'] });

  test('the failing statement first (outer call before its arguments), then the nearest statements before it', async () => {
    const found = await finder.find({ file: '/ws/test/math.test.ts', line: 8 });
    assert.deepEqual(
      found.map((c) => `${c.file}:${c.functionName}:${c.evidenceLine}`),
      ['/ws/src/format.js:format:8', '/ws/src/math.ts:add:8', '/ws/src/legacy.js:square:7', '/ws/src/math.ts:Calc.mul:9'],
    );
  });

  test('with two imports of one name, the later one wins (QuixBugs imports the buggy module in an else)', async () => {
    const found = await finder.find({ stack: [{ file: '/py/tests/test_gcd.py', line: 9, function: 'test_gcd' }] });
    assert.deepEqual(found.map((c) => c.file), ['/py/buggy/gcd.py', '/py/correct/gcd.py']);
  });

  test('a file and line alone (one frame): in a source file, the function there', async () => {
    const [found] = await finder.find({ stack: [{ file: '/ws/src/math.ts', line: 6 }] });
    assert.equal(found.functionName, 'Calc.mul');
    assert.equal(found.reason, 'stack-frame');
  });

  test('frames outside the workspace, in node_modules, or in unknown languages are never targets', async () => {
    const files2 = new InMemorySourceFiles([['/ws/node_modules/lib/index.js', 'function f() {\n  throw 1;\n}\n']]);
    const finder2 = new TargetFinder(files2, parser, { roots: ['/ws'] });
    assert.deepEqual(await finder2.find({ stack: [{ file: '/ws/node_modules/lib/index.js', line: 2 }, { file: '/elsewhere/a.js', line: 1 }, { file: '/ws/a.rb', line: 1 }] }), []);
  });

  test('a custom test-file rule replaces the conventions', async () => {
    const custom = new TargetFinder(files, parser, { roots: ['/ws', '/py'], isTestFile: (f) => f.includes('/test/') });
    const [first] = await custom.find({ stack: [{ file: '/py/tests/test_gcd.py', line: 9 }] });
    assert.equal(first.file, '/py/tests/test_gcd.py');
    assert.equal(first.reason, 'stack-frame');
  });

  test('when only test helpers fit, they are the candidates, unsure: a frame in a helper, or what the failing statement calls', async () => {
    const helperFiles = new InMemorySourceFiles([
      ['/h/src/area.js', 'exports.area = (r) => Math.PI * r * r;\n'],
      ['/h/test/helpers.js', 'function roundTo(x, digits) {\n  const f = 10 ** digits;\n  return Math.floor(x * f) / f;\n}\nmodule.exports = { roundTo };\n'],
      ['/h/geometry.test.js', "const { roundTo } = require('./test/helpers');\nconst test = require('node:test');\ntest('rounds', () => {\n  assert.equal(roundTo(12.566, 2), 12.57);\n});\n"],
      ['/h/mixed.test.js', "const { roundTo } = require('./test/helpers');\nconst { area } = require('./src/area');\ntest('area', () => {\n  assert.equal(roundTo(area(2), 2), 12.57);\n});\n"],
    ]);
    const helperFinder = new TargetFinder(helperFiles, parser, { roots: ['/h'] });
    const byCall = await helperFinder.search({ file: '/h/geometry.test.js', line: 4 });
    assert.deepEqual(byCall.candidates.map((c) => `${c.file}:${c.functionName}`), ['/h/test/helpers.js:roundTo']);
    assert.equal(byCall.confidence, 'low');
    const byFrame = await helperFinder.search({ stack: [{ file: '/h/test/helpers.js', line: 3 }, { file: '/h/geometry.test.js', line: 4 }] });
    assert.deepEqual(byFrame.candidates.map((c) => `${c.functionName}:${c.reason}`), ['roundTo:stack-frame']);
    assert.equal(byFrame.confidence, 'low');
    // Code under test that fits comes first: the helper is not a candidate then.
    const mixed = await helperFinder.search({ file: '/h/mixed.test.js', line: 4 });
    assert.deepEqual(mixed.candidates.map((c) => c.functionName), ['area']);
  });

  test('test-file conventions', () => {
    const roots = ['/ws'];
    for (const file of ['/ws/tests/helpers.py', '/ws/pkg/test_x.py', '/ws/pkg/x_test.py', '/ws/conftest.py', '/ws/src/a.test.ts', '/ws/src/a.spec.jsx', '/ws/src/__tests__/a.js', '/ws/src/a_test.js', '/ws/test-utils.js', '/ws/test.mjs']) {
      assert.ok(isConventionalTestFile(file, roots), file);
    }
    for (const file of ['/ws/src/testing_utils_impl.py', '/ws/src/contest.py', '/ws/src/latest.ts', '/ws/src/contest.js', '/ws/src/testing.js', '/test/ws/src/a.ts']) {
      assert.ok(!isConventionalTestFile(file, roots.concat('/test/ws')), file);
    }
  });
});

describe('the stack holds only test frames: follow what the test calls (code shaped like real projects)', () => {
  const search = async (project: string, testFile: string, line: number) => {
    const root = fixturePath('targets', project);
    const finder = new TargetFinder(new NodeSourceFiles(), parser, { roots: [root] });
    const found = await finder.search({ file: join(root, testFile), line, stack: [{ file: join(root, testFile), line }] });
    return { confidence: found.confidence, candidates: found.candidates.map((c) => `${relative(root, c.file)}:${c.functionName} (${c.reason})`), via: found.candidates.map((c) => c.via) };
  };

  test('a class method, the class reached through the package\'s own folder (require("..")) and CommonJS exports', async () => {
    const found = await search('cli-parser', 'test/parse.test.js', 9);
    assert.deepEqual(found.candidates, ['lib/parser.js:Parser.parse (called-by-test)', 'lib/parser.js:Parser.constructor (called-by-test)', 'lib/names.js:camelCase (reached-from-test)']);
    assert.equal(found.confidence, 'medium');
    assert.equal(found.via[2], 'Parser.parse → camelCase');
  });

  test('a bound method of a re-exported instance, through a TypeScript path alias and export *, into a function nested in a plugin\'s setup function', async () => {
    const found = await search('immutable-ts', 'test/patches.test.ts', 8);
    assert.deepEqual(found.candidates.slice(0, 3), [
      // Store.applyPatches only hands over to the plugin (a thin wrapper): the plugin's function comes first.
      'src/plugins/patches.ts:enablePatches.applyPatches_ (called-by-test)',
      'src/utils/plugins.ts:getPlugin (called-by-test)',
      'src/core/store.ts:Store.applyPatches (called-by-test)',
    ]);
    assert.equal(found.via[0], 'through a thin wrapper (by name)');
    assert.ok(found.candidates.includes('src/plugins/patches.ts:enablePatches (reached-from-test)'), 'the setup call at the top of the test file is followed too');
    assert.equal(found.confidence, 'medium');
  });

  test('Python: a name re-exported by a package\'s __init__.py, a pytest fixture\'s instance, a module attribute', async () => {
    const convert = await search('python-ledger', 'tests/test_ledger.py', 6);
    assert.deepEqual(convert.candidates, ['ledger/rates.py:convert (called-by-test)']);
    assert.equal(convert.confidence, 'medium');
    const balance = await search('python-ledger', 'tests/test_ledger.py', 11);
    assert.deepEqual(balance.candidates, ['ledger/accounts.py:Ledger.balance (called-by-test)', 'ledger/accounts.py:Ledger.deposit (called-by-test)', 'ledger/rates.py:convert (reached-from-test)']);
    assert.equal(balance.via[2], 'Ledger.deposit → convert');
    assert.equal(balance.confidence, 'low', 'balance() reads what the deposits before it wrote: any of them may be wrong');
    const attribute = await search('python-ledger', 'tests/test_ledger.py', 15);
    assert.deepEqual(attribute.candidates, ['ledger/rates.py:convert (called-by-test)']);
  });

  test('an unknown receiver: the method by its name in the modules the test reaches, unsure', async () => {
    const files = new InMemorySourceFiles([
      ['/ws/src/shapes.js', 'class Circle {\n  area() {\n    return 3 * this.r;\n  }\n}\nclass Square {\n  side() {\n    return this.s;\n  }\n}\nmodule.exports = { Circle, Square };\n'],
      ['/ws/test/shapes.test.js', "const shapes = require('../src/shapes');\nconst { make } = require('./helpers');\ntest('area', () => {\n  assert.equal(make('circle').area(), 3.14);\n});\n"],
    ]);
    const found = await new TargetFinder(files, parser, { roots: ['/ws'] }).search({ file: '/ws/test/shapes.test.js', line: 4 });
    assert.deepEqual(found.candidates.map((c) => `${c.functionName} ${c.via}`), ['Circle.area Circle.area (by name)']);
    assert.equal(found.confidence, 'low');
  });
});

// Shaped like a protocol library: a helper returns a line with one byte too many; the caller goes
// on with it and fails later, in a validation. The helper is on no stack frame, and the test calls
// neither: it comes right after the frame that called it.
test('a wrong value from a helper that already returned: the helper follows the frame that used it', async () => {
  const files = new InMemorySourceFiles([
    ['/p/proto/_buffer.py', 'class Buffer:\n    def next_line(self):\n        idx = self.data.find(b"\\r\\n")\n        return self.data[: idx + 1]\n'],
    ['/p/proto/_util.py', 'def validate(regex, data):\n    if not regex.fullmatch(data):\n        raise ValueError(data)\n'],
    [
      '/p/proto/_readers.py',
      'from ._buffer import Buffer\nfrom ._util import validate\n\n\nclass ChunkReader:\n    def __call__(self, buf: Buffer):\n        header = buf.next_line()\n        if header is None:\n            return None\n        validate(HEADER, header)\n        return header\n',
    ],
    ['/p/proto/tests/test_chunks.py', 'from .._readers import ChunkReader\n\n\ndef test_chunk():\n    assert ChunkReader()(make_buffer()) == b"a"\n'],
  ]);
  const finder = new TargetFinder(files, parser, { roots: ['/p'] });
  const found = await finder.search({
    file: '/p/proto/tests/test_chunks.py',
    line: 5,
    stack: [
      { file: '/p/proto/_util.py', line: 3 },
      { file: '/p/proto/_readers.py', line: 10 },
      { file: '/p/proto/tests/test_chunks.py', line: 5 },
    ],
  });
  assert.equal(found.confidence, 'high');
  assert.deepEqual(
    found.candidates.map((c) => `${c.functionName} (${c.reason})`),
    ['validate (stack-frame)', 'ChunkReader.__call__ (stack-frame)', 'Buffer.next_line (reached-from-test)'],
  );
});

// Shaped like a parser and its stringifier tested by round trips (`parse(stringify(x))` must equal
// x): the bug is in a helper of the stringifier, reached through an index that re-exports both
// modules. Only the round-trip tests fail; some throw inside the parser (the stringified text is
// malformed), some fail the assertion. The parser's own tests all pass.
describe('a function reached through another exported function of a different module, with the run\'s outcomes', () => {
  const files = new InMemorySourceFiles([
    ['/rt/src/read.ts', "export function parse(text: string): string[] {\n  const out: string[] = [];\n  for (const part of text.split(',')) {\n    if (part.endsWith('\\\\')) throw new Error('escape at the end');\n    out.push(unescape(part));\n  }\n  return out;\n}\n\nfunction unescape(part: string): string {\n  return part.replace(/\\\\(.)/g, '$1');\n}\n"],
    ['/rt/src/write.ts', "export function stringify(names: string[]): string {\n  return names.map((n) => escapeName(n)).join(',');\n}\n\nfunction escapeName(name: string): string {\n  let out = '';\n  for (const c of name) out += c === ',' ? '\\\\' : c;\n  return out;\n}\n"],
    ['/rt/src/index.ts', "export { parse } from './read.js';\nexport { stringify } from './write.js';\n"],
    ['/rt/src/read.spec.ts', "import { parse } from './read.js';\nit('splits', () => {\n  expect(parse('a,b')).toEqual(['a', 'b']);\n});\n"],
    ['/rt/src/write.spec.ts', "import { parse, stringify } from './index.js';\nit('round trip', () => {\n  expect(parse(stringify(['a,b']))).toEqual(['a,b']);\n});\n"],
  ]);
  const outcomes = [
    { file: '/rt/src/read.spec.ts', failed: 0, passed: 40 },
    { file: '/rt/src/write.spec.ts', failed: 3, passed: 5 },
  ];
  const names = (candidates: readonly TargetCandidate[]) => candidates.map((c) => `${c.file.replace('/rt/src/', '')}:${c.functionName}`);
  const thrownInParse = { file: '/rt/src/write.spec.ts', line: 3, stack: [{ file: '/rt/src/read.ts', line: 4, function: 'parse' }, { file: '/rt/src/write.spec.ts', line: 3 }] };
  const assertion = { file: '/rt/src/write.spec.ts', line: 3, stack: [{ file: '/rt/src/write.spec.ts', line: 3 }] };

  test('an error thrown in the parser, whose input the test took from the stringifier: the stringifier is a candidate too, and the finder is unsure', async () => {
    const found = await new TargetFinder(files, parser, { roots: ['/rt'] }).search(thrownInParse);
    assert.equal(found.confidence, 'low');
    assert.equal(found.candidates[0].functionName, 'parse', 'without the run\'s outcomes the stack frame stays first');
    assert.deepEqual(new Set(names(found.candidates)), new Set(['read.ts:parse', 'read.ts:unescape', 'write.ts:stringify', 'write.ts:escapeName']));
  });

  test('with the run\'s outcomes the module only the failing tests reach comes first, for a thrown error and for a failed assertion', async () => {
    const finder = new TargetFinder(files, parser, { roots: ['/rt'], outcomes });
    for (const failure of [thrownInParse, assertion]) {
      const found = await finder.search(failure);
      assert.deepEqual(new Set(names(found.candidates).slice(0, 2)), new Set(['write.ts:stringify', 'write.ts:escapeName']));
      assert.deepEqual(new Set(names(found.candidates).slice(2)), new Set(['read.ts:parse', 'read.ts:unescape']));
    }
  });

  test('outcomes that do not tell the modules apart change nothing; a stack the test entered with one call stays sure', async () => {
    const even = [{ file: '/rt/src/write.spec.ts', failed: 3, passed: 5 }];
    const finder = new TargetFinder(files, parser, { roots: ['/rt'], outcomes: even });
    assert.deepEqual(names((await finder.search(thrownInParse)).candidates), names((await new TargetFinder(files, parser, { roots: ['/rt'] }).search(thrownInParse)).candidates));
    const direct = await new TargetFinder(files, parser, { roots: ['/rt'], outcomes }).search({ file: '/rt/src/read.spec.ts', line: 3, stack: [{ file: '/rt/src/read.ts', line: 4, function: 'parse' }, { file: '/rt/src/read.spec.ts', line: 3 }] });
    assert.equal(direct.confidence, 'high');
    assert.equal(direct.candidates[0].functionName, 'parse');
  });
});

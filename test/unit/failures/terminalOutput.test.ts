// The human output of pytest, node --test (spec), jest and vitest, as captured by
// test/fixtures/runners/capture.sh (the project folder is /project), read into TestFailure records.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { npmScriptOf, parseTerminalOutput, recogniseTestCommand, stripAnsi, terminalRunResults, testFilesInCommand } from '../../../src/core/failures/terminalOutput';
import type { TestCaseResult } from '../../../src/core/failures/testFailure';

const runners = path.resolve(__dirname, '../../../../test/fixtures/runners');
const terminal = (fw: string) => fs.readFileSync(path.join(runners, fw, 'terminal.txt'), 'utf8');
const byName = (results: TestCaseResult[], name: string) => {
  const r = results.find((x) => x.name === name);
  assert.ok(r, `${name} in ${results.map((x) => x.name).join(', ')}`);
  return r;
};

test('recognises test command lines', () => {
  const yes: [string, string][] = [
    ['pytest', 'pytest'],
    ['pytest -q tests/test_cart.py::test_x', 'pytest'],
    ['python3 -m pytest -q test_pricing.py', 'pytest'],
    ['.venv/bin/python -m pytest', 'pytest'],
    ['PYTHONPATH=src uv run pytest -x', 'pytest'],
    ['py.test', 'pytest'],
    ['npx jest cart', 'jest'],
    ['yarn jest --watch=false', 'jest'],
    ['./node_modules/.bin/jest', 'jest'],
    ['npx vitest run', 'vitest'],
    ['pnpm exec vitest run', 'vitest'],
    ['node --test', 'node'],
    ['node --test-reporter=spec --test test/', 'node'],
    ['cd pkg && node --test', 'node'],
  ];
  for (const [line, fw] of yes) assert.equal(recogniseTestCommand(line)?.framework, fw, line);
  for (const line of ['python3 app.py', 'python -m pip install pytest', 'node index.js', 'ls', 'npm install', 'git commit -m "pytest"', 'echo jest'])
    assert.equal(recogniseTestCommand(line), undefined, line);
});

test('npm test is a test run when its script is one', () => {
  const scripts: Record<string, string> = { test: 'jest --ci', unit: 'vitest run', 'test:py': 'python -m pytest', lint: 'eslint .', all: 'npm run unit' };
  const lookup = (name: string) => scripts[name];
  assert.equal(npmScriptOf('npm test'), 'test');
  assert.equal(npmScriptOf('npm t -- --watch'), 'test');
  assert.equal(npmScriptOf('npm run unit'), 'unit');
  assert.equal(npmScriptOf('yarn unit'), 'unit');
  assert.equal(npmScriptOf('npm install'), undefined);
  assert.equal(recogniseTestCommand('npm test', lookup)?.framework, 'jest');
  assert.equal(recogniseTestCommand('pnpm run unit', lookup)?.framework, 'vitest');
  assert.equal(recogniseTestCommand('npm run test:py', lookup)?.framework, 'pytest');
  assert.equal(recogniseTestCommand('npm run all', lookup)?.framework, 'vitest');
  assert.equal(recogniseTestCommand('npm run lint', lookup), undefined);
  assert.equal(recogniseTestCommand('npm test'), undefined, 'no package.json script: not known');
});

test('names the test files a command line gives', () => {
  assert.deepEqual(testFilesInCommand('python3 -m pytest -q test_pricing.py tests/test_b.py::test_x -k foo'), ['test_pricing.py', 'tests/test_b.py']);
  assert.deepEqual(testFilesInCommand('npx jest'), []);
});

test('strips colours, cursor moves, OSC sequences and CRLF', () => {
  const raw = '\x1b]633;C\x07\x1b[31mFAILED\x1b[0m a.py::t - \x1b[1massert 1 == 2\x1b[0m\r\n\x1b[2K\x1b[1Grunning 1/2\rdone 2/2\r\n\x1b]8;;file:///x\x1b\\link\x1b]8;;\x1b\\';
  assert.equal(stripAnsi(raw), 'FAILED a.py::t - assert 1 == 2\ndone 2/2\nlink');
});

test('pytest: the short summary and the tracebacks of the FAILURES section', () => {
  const { results, files } = parseTerminalOutput('pytest', terminal('pytest'), '/project');
  assert.deepEqual(files, ['/project/tests/test_cart.py']);
  assert.deepEqual(
    results.map((r) => r.testId),
    ['/project/tests/test_cart.py::test_subtotal_adds_every_line', '/project/tests/test_cart.py::test_tax_rate[toys-0.2]', '/project/tests/test_cart.py::TestCartLists::test_lines_compare', '/project/tests/test_cart.py::LegacyTests::test_legacy_subtotal'],
  );
  assert.ok(results.every((r) => r.outcome === 'failed' && r.framework === 'pytest'));
  const sub = byName(results, 'test_subtotal_adds_every_line').failure!;
  assert.equal(sub.message, 'assert 6 == 11\n +  where 6 = subtotal([(2, 3), (5, 1)])');
  assert.equal(sub.expected, '11');
  assert.equal(sub.actual, '6');
  assert.deepEqual(sub.stack, [{ file: '/project/tests/test_cart.py', line: 10, function: 'test_subtotal_adds_every_line' }]);
  assert.match(sub.output, /Captured stdout call[\s\S]*lines: 2/);
  const tax = byName(results, 'test_tax_rate[toys-0.2]').failure!;
  assert.equal(tax.message, "KeyError: 'toys'");
  assert.deepEqual(tax.stack.map((f) => [f.file, f.line, f.function]), [['/project/shop/cart.py', 14, 'tax_rate'], ['/project/tests/test_cart.py', 19, 'test_tax_rate']]);
  const lists = byName(results, 'test_lines_compare');
  assert.deepEqual(lists.suitePath, ['TestCartLists']);
  assert.equal(lists.nodeId, 'tests/test_cart.py::TestCartLists::test_lines_compare');
  assert.equal(lists.failure!.actual, '[1, 2]');
  const legacy = byName(results, 'test_legacy_subtotal').failure!;
  assert.equal(legacy.message, 'AssertionError: 4 != 5');
  assert.deepEqual([legacy.actual, legacy.expected], ['4', '5']);
});

test('pytest: a summary line cut to the terminal width still gets the whole message; -q and colours', () => {
  const out = [
    '\x1b[31mF\x1b[0m\x1b[32m.\x1b[0m\x1b[31m                                                                      [100%]\x1b[0m\r',
    '=================================== FAILURES ===================================\r',
    '\x1b[31m\x1b[1m_____________________________ test_ten_percent_off _____________________________\x1b[0m\r',
    '\r',
    '    \x1b[94mdef\x1b[39;49;00m \x1b[92mtest_ten_percent_off\x1b[39;49;00m():\r',
    '>       \x1b[94massert\x1b[39;49;00m apply_discount(\x1b[94m80\x1b[39;49;00m, \x1b[94m10\x1b[39;49;00m) == \x1b[94m72\x1b[39;49;00m\r',
    '\x1b[1m\x1b[31mE       assert 0.0 == 72\x1b[0m\r',
    '\x1b[1m\x1b[31mE        +  where 0.0 = apply_discount(80, 10)\x1b[0m\r',
    '\r',
    '\x1b[1m\x1b[31mtest_pricing.py\x1b[0m:9: AssertionError\r',
    '\x1b[36m\x1b[1m=========================== short test summary info ============================\x1b[0m\r',
    '\x1b[31mFAILED\x1b[0m test_pricing.py::\x1b[1mtest_ten_percent_off\x1b[0m - assert 0.0 == 72\r',
    '\x1b[31m\x1b[31m\x1b[1m1 failed\x1b[0m, \x1b[32m2 passed\x1b[0m\x1b[31m in 0.03s\x1b[0m\r',
  ].join('\n');
  const { results } = parseTerminalOutput('pytest', out, '/ws');
  assert.equal(results.length, 1);
  const f = results[0].failure!;
  assert.equal(f.testId, '/ws/test_pricing.py::test_ten_percent_off');
  assert.equal(f.message, 'assert 0.0 == 72\n +  where 0.0 = apply_discount(80, 10)');
  assert.deepEqual([f.expected, f.actual], ['72', '0.0']);
  assert.deepEqual(f.stack, [{ file: '/ws/test_pricing.py', line: 9, function: 'test_ten_percent_off' }]);
  // --tb=no: only the summary is there.
  const short = parseTerminalOutput('pytest', '=== short test summary info ===\nFAILED t.py::test_a - assert 1 == 2\nERROR t2.py - ImportError: x\n=== 1 failed ===', '/ws');
  assert.deepEqual(short.results.map((r) => [r.testId, r.failure?.message, r.fileLevel ?? false]), [['/ws/t.py::test_a', 'assert 1 == 2', false], ['/ws/t2.py::(collection)', 'ImportError: x', true]]);
});

test('pytest -v: passed tests are reported too', () => {
  const { results } = parseTerminalOutput('pytest', 'test_p.py::test_a PASSED                  [ 50%]\ntest_p.py::T::test_b FAILED   [100%]\n=== short test summary info ===\nFAILED test_p.py::T::test_b - assert 1 == 2\n', '/ws');
  assert.deepEqual(results.map((r) => [r.testId, r.outcome]), [['/ws/test_p.py::test_a', 'passed'], ['/ws/test_p.py::T::test_b', 'failed']]);
});

test('node --test: the spec reporter with its "failing tests" summary', () => {
  const { results, files } = parseTerminalOutput('node', terminal('node'), '/project');
  assert.deepEqual(
    results.map((r) => r.testId),
    [
      '/project/test/broken.test.js::(file)',
      '/project/test/cart.test.js::cart::subtotal::adds every line',
      '/project/test/cart.test.js::cart::tax of toys',
      '/project/test/cart.test.js::cart::objects compare deeply',
      '/project/test/cart.test.js::top level async',
      '/project/test/format.test.mjs::pads cents',
    ],
  );
  assert.deepEqual(files.sort(), ['/project/test/broken.test.js', '/project/test/cart.test.js', '/project/test/format.test.mjs']);
  const broken = results[0];
  assert.equal(broken.fileLevel, true);
  assert.equal(broken.failure!.message, 'SyntaxError: missing ) after argument list (the test file did not load)');
  assert.deepEqual(broken.failure!.stack, [{ file: '/project/test/broken.test.js', line: 3, column: 1 }]);
  const adds = byName(results, 'adds every line').failure!;
  assert.equal(adds.line, 8);
  assert.equal(adds.message, 'Expected values to be strictly equal:\n\n6 !== 11');
  assert.deepEqual([adds.expected, adds.actual], ['11', '6']);
  assert.deepEqual(adds.stack, [{ file: '/project/test/cart.test.js', line: 10, column: 14, function: 'TestContext.<anonymous>' }]);
  const tax = byName(results, 'tax of toys').failure!;
  assert.equal(tax.message, 'unknown category toys');
  assert.deepEqual(tax.stack.map((f) => [f.file, f.line]), [['/project/src/cart.js', 13], ['/project/test/cart.test.js', 19]]);
  const pads = byName(results, 'pads cents').failure!;
  assert.deepEqual([pads.expected, pads.actual, pads.line], ["'1.05'", "'1.5'", 8]);
  assert.equal(pads.stack[0].file, '/project/test/format.test.mjs');
});

test('node --test: without the summary (older Node 20), files come from the stack', () => {
  const text = terminal('node');
  const treeOnly = text.slice(0, text.indexOf('✖ failing tests:'));
  const { results } = parseTerminalOutput('node', treeOnly, '/project');
  const adds = byName(results, 'adds every line');
  assert.equal(adds.testId, '/project/test/cart.test.js::cart::subtotal::adds every line');
  assert.equal(adds.failure!.line, 0);
  assert.equal(byName(results, 'tax of toys').file, '/project/test/cart.test.js');
});

test('jest: the default reporter', () => {
  const { results, files } = parseTerminalOutput('jest', terminal('jest'), '/project');
  assert.deepEqual(files, ['/project/cart.test.js']);
  assert.deepEqual(results.filter((r) => r.failure).map((r) => r.testId), ['/project/cart.test.js::cart::subtotal::adds every line', '/project/cart.test.js::cart::tax of toys', '/project/cart.test.js::cart::objects compare deeply']);
  // The tree of a single file's run lists the others too.
  assert.deepEqual(results.filter((r) => !r.failure).map((r) => `${r.outcome} ${r.testId}`), ['skipped /project/cart.test.js::cart::later', 'passed /project/cart.test.js::cart::subtotal::is zero for an empty cart']);
  const adds = byName(results, 'adds every line').failure!;
  assert.equal(adds.message, 'expect(received).toBe(expected) // Object.is equality\n\nExpected: 11\nReceived: 6');
  assert.deepEqual([adds.expected, adds.actual], ['11', '6']);
  assert.deepEqual(adds.stack, [{ file: '/project/cart.test.js', line: 8, column: 70, function: 'Object.toBe' }]);
  const tax = byName(results, 'tax of toys').failure!;
  assert.equal(tax.message, 'unknown category toys');
  assert.deepEqual(tax.stack.map((f) => [f.file, f.line, f.function]), [['/project/src/cart.js', 13, 'taxRate'], ['/project/cart.test.js', 17, 'Object.taxRate']]);
  assert.deepEqual(byName(results, 'objects compare deeply').suitePath, ['cart']);
});

test('vitest: the default reporter', () => {
  const { results, files } = parseTerminalOutput('vitest', terminal('vitest'), '/project');
  assert.deepEqual(files.sort(), ['/project/broken.test.js', '/project/cart.test.js', '/project/format.test.ts']);
  assert.deepEqual(
    results.map((r) => r.testId),
    [
      '/project/broken.test.js::(file)',
      '/project/cart.test.js::cart::subtotal::adds every line',
      '/project/cart.test.js::cart::tax of toys',
      '/project/cart.test.js::cart::objects compare deeply',
      '/project/format.test.ts::formatPrice::pads cents',
      '/project/format.test.ts::formatPrice::whole euros',
    ],
  );
  const broken = results[0].failure!;
  assert.match(broken.message, /^Failed to parse source for import analysis/);
  assert.deepEqual(broken.stack, [{ file: '/project/broken.test.js', line: 1, column: 1 }]);
  const adds = byName(results, 'adds every line').failure!;
  assert.equal(adds.message, 'expected 6 to be 11 // Object.is equality');
  assert.deepEqual([adds.expected, adds.actual], ['11', '6']);
  assert.deepEqual(adds.stack, [{ file: '/project/cart.test.js', line: 8, column: 70 }]);
  const pads = byName(results, 'pads cents').failure!;
  assert.deepEqual([pads.expected, pads.actual], ['"1.05"', '"1.5"']);
  assert.equal(byName(results, 'tax of toys').failure!.message, 'unknown category toys');
});

test('output with no failures gives no results', () => {
  for (const fw of ['pytest', 'node', 'jest', 'vitest'] as const) assert.deepEqual(parseTerminalOutput(fw, 'all good\n3 passed in 0.1s\n', '/ws').results, []);
});

test('a terminal run clears the known failures it ran again without failing', () => {

  const known = (testId: string, framework: 'pytest' | 'node' = 'pytest') => {
    const [file, ...rest] = testId.split('::');
    return { testId, framework, file, line: 0, name: rest[rest.length - 1], message: 'x', stack: [], output: '' };
  };
  const a = known('/ws/test_a.py::test_one');
  const b = known('/ws/test_b.py::TestB::test_two');
  const other = known('/elsewhere/test_c.py::test_three');
  const js = known('/ws/a.test.js::x', 'node');
  const run = parseTerminalOutput('pytest', '=== short test summary info ===\nFAILED test_b.py::TestB::test_two - assert 1 == 2\n', '/ws');
  const ids = (rs: { testId: string; outcome: string }[]) => rs.map((r) => `${r.outcome} ${r.testId}`);
  // The file was named: test_one ran and did not fail.
  assert.deepEqual(ids(terminalRunResults('pytest', run, 'pytest test_a.py test_b.py', '/ws', 1, [a, b, other, js])), ['failed /ws/test_b.py::TestB::test_two', 'passed /ws/test_a.py::test_one']);
  // Unknown files and a failing exit code: nothing is cleared.
  assert.deepEqual(ids(terminalRunResults('pytest', run, 'pytest', '/ws', 1, [a, b])), ['failed /ws/test_b.py::TestB::test_two']);
  // Green and unfiltered: every pytest failure under the cwd is cleared, not those elsewhere or of node.
  const green = parseTerminalOutput('pytest', '3 passed in 0.1s', '/ws');
  assert.deepEqual(ids(terminalRunResults('pytest', green, 'python -m pytest -q', '/ws', 0, [a, b, other, js])), ['passed /ws/test_a.py::test_one', 'passed /ws/test_b.py::TestB::test_two']);
  const passed = terminalRunResults('pytest', green, 'python -m pytest -q', '/ws', 0, [b])[0];
  assert.deepEqual(passed.suitePath, ['TestB']);
  // Filtered runs clear only the tests they name.
  assert.deepEqual(ids(terminalRunResults('pytest', green, 'pytest -k one', '/ws', 0, [a, b])), []);
  assert.deepEqual(ids(terminalRunResults('pytest', green, 'pytest test_a.py::test_one', '/ws', 0, [a, b])), ['passed /ws/test_a.py::test_one']);
});

test('passed tests where the output lists them: node\'s tree and vitest\'s lines through the known tests, jest\'s tree and vitest\'s verbose lines by themselves', () => {
  const known = [
    { file: '/project/test/cart.test.js', suitePath: ['cart', 'subtotal'], name: 'is zero for an empty cart' },
    { file: '/project/cart.test.js', suitePath: ['cart', 'subtotal'], name: 'is zero for an empty cart' },
    { file: '/project/other.test.js', suitePath: [], name: 'twice' },
    { file: '/project/again.test.js', suitePath: [], name: 'twice' },
  ];
  const node = parseTerminalOutput('node', terminal('node'), '/project', known.slice(0, 1)).results.filter((r) => !r.failure);
  assert.deepEqual(node.map((r) => `${r.outcome} ${r.testId}`), ['passed /project/test/cart.test.js::cart::subtotal::is zero for an empty cart']);
  assert.deepEqual(parseTerminalOutput('node', '\u2714 twice (1ms)\n', '/project', known).results, [], 'a name two known tests have stays out');
  const vitest = parseTerminalOutput('vitest', terminal('vitest'), '/project', known).results.filter((r) => !r.failure);
  assert.deepEqual(vitest.map((r) => `${r.outcome} ${r.testId}`), ['passed /project/cart.test.js::cart::subtotal::is zero for an empty cart']);
  const verbose = ' \u2713 src/a.test.ts > math > adds 2ms\n \u2193 src/a.test.ts > math > later [skipped]\n';
  assert.deepEqual(parseTerminalOutput('vitest', verbose, '/p').results.map((r) => `${r.outcome} ${r.testId}`), ['passed /p/src/a.test.ts::math::adds', 'skipped /p/src/a.test.ts::math::later']);
  const jestVerbose = 'PASS src/a.test.js\n  math\n    \u2713 adds (3 ms)\n    nested\n      \u2713 deep\n  \u2713 top\n\nPASS src/b.test.js\n';
  assert.deepEqual(parseTerminalOutput('jest', jestVerbose, '/p').results.map((r) => r.testId), ['/p/src/a.test.js::math::adds', '/p/src/a.test.js::math::nested::deep', '/p/src/a.test.js::top']);
});

test('vitest: a file whose line says all its N tests passed passes the N known tests of that file, and only then', () => {
  const known = [
    { file: '/p/a.test.js', suitePath: ['math'], name: 'adds' },
    { file: '/p/a.test.js', suitePath: [], name: 'top' },
    { file: '/p/b.test.js', suitePath: [], name: 'one' },
  ];
  const out = ' \u2713 a.test.js (2 tests) 3ms\n \u2713 b.test.js (2 tests) 1ms\n \u2713 c.test.js (1 test | 1 skipped) 1ms\n\n Test Files  3 passed (3)\n';
  const results = parseTerminalOutput('vitest', out, '/p', known).results;
  // b.test.js ran 2 tests and 1 is known: which one passed is not certain, so neither is said.
  assert.deepEqual(results.map((r) => `${r.outcome} ${r.testId}`), ['passed /p/a.test.js::math::adds', 'passed /p/a.test.js::top']);
});

test('vitest 4: a passed test under a suite line of a file with failures (`   ❯ subtotal (2)`) is reported', () => {
  const known = [
    { file: '/p/cart.test.js', suitePath: ['subtotal'], name: 'adds every line' },
    { file: '/p/cart.test.js', suitePath: ['subtotal'], name: 'is zero for an empty cart' },
  ];
  const out = ' \u276f cart.test.js (3 tests | 2 failed) 87ms\n   \u276f subtotal (2)\n     \u00d7 adds every line 55ms\n     \u2713 is zero for an empty cart 1ms\n   \u00d7 tax of toys 23ms\n';
  const results = parseTerminalOutput('vitest', out, '/p', known).results;
  assert.deepEqual(results.map((r) => `${r.outcome} ${r.testId}`), ['passed /p/cart.test.js::subtotal::is zero for an empty cart']);
});

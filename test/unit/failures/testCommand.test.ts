// The project's own test command: command lines split with shell-quote (quotes respected), npm
// scripts followed to the runner, and the runner's arguments sorted into what Ducktrace keeps.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { commandSegments } from '../../../src/core/failures/commandLine';
import { findInvocation, keptArguments, projectInvocation, recogniseTestCommand, splitRunnerArgs } from '../../../src/core/failures/testCommand';
import { testFilesInCommand } from '../../../src/core/failures/terminalOutput';

const w = (...texts: string[]) => texts.map((text) => ({ text }));

test('command lines: quotes keep words whole, operators inside quotes separate nothing, redirections are no arguments', () => {
  assert.deepEqual(testFilesInCommand('node --test "my tests/a.test.js" \'b c.test.js\''), ['my tests/a.test.js', 'b c.test.js']);
  assert.deepEqual(testFilesInCommand('pytest "tests/test_a.py::test_x && y" 2>&1 | tee out.txt'), ['tests/test_a.py']);
  const segments = commandSegments('NODE_ENV=test TZ="Europe/Paris x" jest --config="a b.js" && echo "a && b"; vitest run 2>&1 > log.txt');
  assert.deepEqual(segments.map((s) => [s.env, s.words.map((x) => x.text)]), [
    [{ NODE_ENV: 'test', TZ: 'Europe/Paris x' }, ['jest', '--config=a b.js']],
    [{}, ['echo', 'a && b']],
    [{}, ['vitest', 'run']],
  ]);
  assert.equal(commandSegments('node --test test/*.test.js "q/*.js"')[0].words.filter((x) => x.shellGlob).map((x) => x.text).join(), 'test/*.test.js', 'an unquoted glob is the shell\'s, a quoted one the program\'s');
  assert.equal(recogniseTestCommand('echo "jest && vitest"'), undefined);
  assert.equal(recogniseTestCommand('cross-env CI=1 jest --ci')?.framework, 'jest');
  assert.equal(recogniseTestCommand('tsx --test test/a.test.ts')?.framework, 'node');
});

test('npm scripts are followed to the runner: env assignments, flags and `-- args` come along', () => {
  const scripts: Record<string, string> = {
    test: 'npm run lint && npm run test:unit -- --runInBand',
    lint: 'eslint .',
    'test:unit': 'cross-env TZ=UTC jest --config jest.unit.js',
    loop: 'npm run loop',
  };
  const found = findInvocation(scripts.test, 'jest', (n) => scripts[n]);
  assert.ok(found);
  assert.deepEqual(found.env, { TZ: 'UTC' });
  assert.deepEqual(found.args.map((a) => a.text), ['--config', 'jest.unit.js', '--runInBand']);
  assert.deepEqual(found.scripts, ['test:unit']);
  assert.equal(findInvocation('npm run loop', 'jest', (n) => scripts[n]), undefined, 'a script that runs itself ends');
  const node = projectInvocation('node', { test: 'node --test test/*.test.js', bench: 'node test/bench.js' });
  assert.deepEqual(node?.args.map((a) => a.text), ['--test', 'test/*.test.js']);
  assert.equal(projectInvocation('vitest', { test: 'node --test' }), undefined);
  assert.deepEqual(projectInvocation('vitest', { test: 'npm run lint', 'test:unit': 'vitest --run src', lint: 'x' })?.args.map((a) => a.text), ['--run', 'src']);
});

test('runner arguments: values after flags are not positionals, Ducktrace\'s own flags go', () => {
  const jest = keptArguments({ framework: 'jest', args: w('--config', 'jest.config.js', '-i', '--watch', '--coverage', '--testPathIgnorePatterns', 'e2e', 'slow', '--', 'src/cart') }, ['--testTimeout']);
  assert.deepEqual(jest.flags, ['--config', 'jest.config.js', '-i', '--testPathIgnorePatterns', 'e2e', 'slow']);
  assert.deepEqual(jest.positionals.map((p) => p.text), ['src/cart']);
  assert.deepEqual(keptArguments({ framework: 'jest', args: w('--test-timeout=100', '-t', 'x', '--ci', '-u') }, ['--testTimeout']).flags, ['-t', 'x'], 'kebab case is the same flag');
  const vitest = keptArguments({ framework: 'vitest', args: w('run', '--reporter', 'dot', '-c', 'vitest.unit.ts', '--silent', 'src/cart', '--coverage.enabled', 'true', '--pool=forks') });
  assert.deepEqual(vitest.flags, ['-c', 'vitest.unit.ts', '--silent', '--pool=forks']);
  assert.deepEqual(vitest.positionals.map((p) => p.text), ['src/cart']);
  const node = keptArguments({ framework: 'node', args: w('--import', 'tsx', '--test', '--test-reporter', 'spec', '--test-timeout', '100', '--experimental-test-coverage', 'test/') }, ['--test-timeout']);
  assert.deepEqual(node.flags, ['--import', 'tsx']);
  assert.deepEqual(node.positionals.map((p) => p.text), ['test/']);
  assert.deepEqual(splitRunnerArgs('node', w('-r', 'ts-node/register', '--test', 'a.test.js')).map((a) => a.flag ?? a.words[0].text), ['--require', '--test', 'a.test.js']);
});

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { detectFrameworks, isTestFileFor } from '../../../src/core/failures/detectFramework';

const facts = { fileNames: [] as string[], hasPythonTests: false, hasNodeTestImports: false };

test('detect: pytest from its config files, conftest or test files', () => {
  assert.deepEqual(detectFrameworks({ ...facts, fileNames: ['pytest.ini'] }), ['pytest']);
  assert.deepEqual(detectFrameworks({ ...facts, fileNames: ['conftest.py'] }), ['pytest']);
  assert.deepEqual(detectFrameworks({ ...facts, pythonConfig: '[tool.pytest.ini_options]\n' }), ['pytest']);
  assert.deepEqual(detectFrameworks({ ...facts, pythonConfig: '[tool:pytest]\n' }), ['pytest']);
  assert.deepEqual(detectFrameworks({ ...facts, hasPythonTests: true }), ['pytest']);
  assert.deepEqual(detectFrameworks(facts), []);
});

test('detect: jest and vitest from config files, dependencies and scripts', () => {
  assert.deepEqual(detectFrameworks({ ...facts, fileNames: ['package.json', 'jest.config.js'], packageJson: {} }), ['jest']);
  assert.deepEqual(detectFrameworks({ ...facts, packageJson: { devDependencies: { vitest: '^4' } } }), ['vitest']);
  assert.deepEqual(detectFrameworks({ ...facts, fileNames: ['vitest.config.ts'], packageJson: {} }), ['vitest']);
  assert.deepEqual(detectFrameworks({ ...facts, packageJson: { scripts: { test: 'jest --ci' } } }), ['jest']);
  assert.deepEqual(detectFrameworks({ ...facts, packageJson: { jest: { testEnvironment: 'node' } } }), ['jest']);
});

test("detect: node's runner from the test script or from node:test imports", () => {
  assert.deepEqual(detectFrameworks({ ...facts, packageJson: { scripts: { test: 'node --test' } } }), ['node']);
  assert.deepEqual(detectFrameworks({ ...facts, packageJson: {}, hasNodeTestImports: true }), ['node']);
  assert.deepEqual(detectFrameworks({ ...facts, packageJson: { devDependencies: { jest: '29' } }, hasNodeTestImports: true }), ['jest']);
});

test('detect: Python and JavaScript side by side (the sample workspace)', () => {
  assert.deepEqual(detectFrameworks({ ...facts, fileNames: ['package.json', 'pytest.ini'], packageJson: { scripts: { test: 'node --test' } } }), ['pytest', 'node']);
});

test('test files per framework', () => {
  assert.ok(isTestFileFor('pytest', 'tests/test_cart.py'));
  assert.ok(isTestFileFor('pytest', 'cart_test.py'));
  assert.ok(!isTestFileFor('pytest', 'cart.py'));
  assert.ok(isTestFileFor('node', 'stats.test.js'));
  assert.ok(isTestFileFor('node', 'test/format.mjs'));
  assert.ok(!isTestFileFor('node', 'src/stats.js'));
  assert.ok(isTestFileFor('vitest', 'src/format.spec.ts'));
  assert.ok(isTestFileFor('jest', 'src/__tests__/x.tsx'));
});

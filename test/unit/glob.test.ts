import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { matchesAnyGlob } from '../../src/core/glob';

test('globs: names anywhere, ** across folders, braces, no false positives', () => {
  assert.ok(matchesAnyGlob('/w/app/.env', ['.env']));
  assert.ok(matchesAnyGlob('/w/app/.env.local', ['**/.env.*']));
  assert.ok(matchesAnyGlob('C:\\w\\certs\\server.pem', ['*.pem']));
  assert.ok(matchesAnyGlob('/w/secrets/db/config.py', ['**/secrets/**']));
  assert.ok(matchesAnyGlob('/w/src/keys.prod.json', ['**/keys.{prod,staging}.json']));
  assert.ok(!matchesAnyGlob('/w/src/environment.py', ['.env', '**/.env.*']));
  assert.ok(!matchesAnyGlob('/w/src/secretsauce.py', ['**/secrets/**']));
  assert.ok(!matchesAnyGlob('/w/src/a.pem.py', ['*.pem']));
});

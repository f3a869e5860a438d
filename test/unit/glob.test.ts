import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { matchesAnyGlob } from '../../src/core/glob';
import { defaultNeverSend } from '../../src/core/duck/redaction';

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

// Seen: the hand-written matcher took `[Ss]ecrets` literally and cut nested braces at the first
// `}`, so these neverSend patterns silently matched nothing.
test('globs: character classes, nested braces, extglobs, relative patterns at any depth', () => {
  assert.ok(matchesAnyGlob('/w/Secrets/db.py', ['**/[Ss]ecrets/**']));
  assert.ok(matchesAnyGlob('/w/secrets/db.py', ['**/[Ss]ecrets/**']));
  assert.ok(!matchesAnyGlob('/w/xecrets/db.py', ['**/[Ss]ecrets/**']));
  assert.ok(matchesAnyGlob('/w/src/keys.qa.json', ['**/keys.{prod,{staging,qa}}.json']));
  assert.ok(matchesAnyGlob('/w/src/keys.staging.json', ['**/keys.{prod,{staging,qa}}.json']));
  assert.ok(!matchesAnyGlob('/w/src/keys.dev.json', ['**/keys.{prod,{staging,qa}}.json']));
  assert.ok(matchesAnyGlob('/w/config/prod.secret.yaml', ['*.+(secret|private).yaml']));
  assert.ok(matchesAnyGlob('/w/app/secrets/db.py', ['secrets/*.py']));
  assert.ok(matchesAnyGlob('/w/app/secrets/db.py', ['./secrets/*.py']));
  assert.ok(!matchesAnyGlob('/w/app/secrets/deep/db.py', ['secrets/*.py']));
  assert.ok(matchesAnyGlob('D:\\w\\app\\.env.production', ['**/.env.*']));
  assert.ok(!matchesAnyGlob('/w/a.py', ['', '   ']));
});

test('the CLI and the editor setting share one default neverSend list', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
  assert.deepEqual(pkg.contributes.configuration.properties['ducktrace.privacy.neverSend'].default, [...defaultNeverSend]);
  assert.ok(matchesAnyGlob('/w/.env', defaultNeverSend));
  assert.ok(matchesAnyGlob('/w/deploy/server.key', defaultNeverSend));
});

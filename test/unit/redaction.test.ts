import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { REDACTED, redactSecrets, secretValuesFromEnv } from '../../src/core/duck/redaction';

const cases: [string, string][] = [
  ['OpenAI key', 'client = OpenAI(api_key="sk-abcdefghijklmnopqrstuvwxyzABCD1234")'],
  ['OpenAI project key', 'KEY = "sk-proj-Ab3_dEf-GhIjKlMnOpQrStUvWxYz012345"'],
  ['Anthropic key', 'sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'],
  ['GitHub token', 'token: ghp_1234567890abcdefghijABCDEFGHIJ123456'],
  ['GitHub fine-grained token', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123'],
  ['AWS access key id', 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE'],
  ['Slack bot token', 'SLACK = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"'],
  ['JWT', 'Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'],
  ['Google API key', 'const key = "AIzaSyA-1234567890abcdefghijklmnopqrstu";'],
  ['Stripe key', 'stripe.api_key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"'],
];

for (const [what, text] of cases) {
  test(`redacts a ${what}`, () => {
    const r = redactSecrets(text);
    assert.equal(r.count, 1, r.text);
    assert.match(r.text, /\[REDACTED\]/);
  });
}

test('redacts a whole private key block', () => {
  const text = ['key = """', '-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEA1234567890abcdef', 'ghijklmnopqrstuvwxyz==', '-----END RSA PRIVATE KEY-----', '"""'].join('\n');
  const r = redactSecrets(text);
  assert.equal(r.text, `key = """\n${REDACTED}\n"""`);
  assert.equal(r.count, 1);
  assert.equal(redactSecrets('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n-----END OPENSSH PRIVATE KEY-----').text, REDACTED);
});

test('hides the password of a URL and keeps the rest', () => {
  assert.equal(redactSecrets('DATABASE_URL=postgres://app:s3cr3t-pw@db.local:5432/app').text, `DATABASE_URL=postgres://app:${REDACTED}@db.local:5432/app`);
});

test('values from .env text are redacted wherever they appear', () => {
  const env = ['# local settings', 'export API_TOKEN="tok_live_abc"', "DB_PASSWORD='correct horse'", 'NODE_ENV=development', 'PORT=8080', 'DEBUG=true', 'SESSION_SALT=xyz1  # inline comment', 'BUILD_ID=a1b2c3d4e5f6a7b8c9d0'].join('\n');
  assert.deepEqual(secretValuesFromEnv(env), ['tok_live_abc', 'correct horse', 'xyz1', 'a1b2c3d4e5f6a7b8c9d0']);
  const text = 'headers = {"Authorization": "tok_live_abc"}\nconnect(password="correct horse", env="development", port=8080)\nbuild a1b2c3d4e5f6a7b8c9d0';
  const r = redactSecrets(text, { envTexts: [env] });
  assert.equal(r.text, `headers = {"Authorization": "${REDACTED}"}\nconnect(password="${REDACTED}", env="development", port=8080)\nbuild ${REDACTED}`);
  assert.equal(r.count, 3);
});

test('explicit secret values are redacted, longest first', () => {
  const r = redactSecrets('a=abcd1234 b=abcd12345678', { secretValues: ['abcd1234', 'abcd12345678'] });
  assert.equal(r.text, `a=${REDACTED} b=${REDACTED}`);
});

test('ordinary code is left alone', () => {
  const code = [
    'def risk_key(task):',
    '    skip = sk_count - 1  # sk-short',
    '    return {"token": token, "key": f"{prefix}-{suffix}", "eyJ": 1}',
    'const AKIA = "akia lower case is not a key";',
    'const url = "https://example.com/path?user=me";',
  ].join('\n');
  const r = redactSecrets(code);
  assert.equal(r.text, code);
  assert.equal(r.count, 0);
});

// Secrets out of prompt text before it leaves the machine: values the user's .env files hold, and
// strings shaped like the API keys and tokens people paste into code and test fixtures.

export const REDACTED = '[REDACTED]';

/**
 * Files never sent to a model unless configured otherwise: the default of the editor's
 * `ducktrace.privacy.neverSend` setting, and what the CLI uses (plus its `--never-send` globs).
 */
export const defaultNeverSend: readonly string[] = ['**/.env', '**/.env.*', '**/*.pem', '**/*.key', '**/secrets/**'];

export interface RedactionOptions {
  /** Contents of .env-style files (`KEY=value`, `export KEY="value"`, `# comments`). */
  readonly envTexts?: readonly string[];
  /** Further literal values to hide (from SecretStorage, settings, ...). */
  readonly secretValues?: readonly string[];
}

export interface Redaction {
  readonly text: string;
  /** How many secrets were replaced. */
  readonly count: number;
}

// Each pattern is anchored on a vendor prefix or a fixed shape, so ordinary code does not match.
const secretPatterns: readonly RegExp[] = [
  // PEM private keys, whole block (RSA, EC, OPENSSH, ENCRYPTED, PGP...).
  /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END \1PRIVATE KEY(?: BLOCK)?-----/g,
  // OpenAI (sk-..., sk-proj-...), Anthropic (sk-ant-...) and similar `sk-` keys.
  /\bsk-[A-Za-z0-9_-]{20,}/g,
  // GitHub tokens: personal, OAuth, user-to-server, server-to-server, refresh, fine-grained.
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{40,}/g,
  // AWS access key ids.
  /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g,
  // Slack tokens and webhooks.
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
  /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/]+/g,
  // Google API keys.
  /\bAIza[0-9A-Za-z_-]{35}/g,
  // Stripe secret and restricted keys.
  /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g,
  // JWTs: base64url header starting with {" , payload, signature.
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  // Credentials inside URLs: scheme://user:password@host keeps the user, hides the password.
  /(?<=\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]{3,}(?=@)/gi,
];

// Keys whose values are secrets even when short; other values are hidden only when they look random.
const secretKeyName = /(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|PWD|AUTH|CREDENTIAL|PRIVATE|DSN|SESSION|COOKIE|SIGNATURE|SALT)/i;

/** The values of .env-style text worth hiding, longest first. */
export function secretValuesFromEnv(envText: string): string[] {
  const values: string[] = [];
  for (const raw of envText.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(.*)$/.exec(raw);
    if (!match || raw.trimStart().startsWith('#')) continue;
    const [, key, rest] = match;
    const value = unquote(rest.trim());
    if (isWorthHiding(key, value)) values.push(value);
  }
  return values;
}

function unquote(value: string): string {
  const quote = value[0];
  if ((quote === '"' || quote === "'" || quote === '`') && value.indexOf(quote, 1) > 0) return value.slice(1, value.indexOf(quote, 1));
  // An unquoted value ends at an inline comment.
  return value.replace(/\s+#.*$/, '');
}

function isWorthHiding(key: string, value: string): boolean {
  if (value.length < 4 || /^(?:true|false|null|none|yes|no|on|off|\d+(?:\.\d+)?)$/i.test(value)) return false;
  if (secretKeyName.test(key)) return true;
  // Unnamed secrets: long, no spaces, mixing letters and digits (NODE_ENV=development stays).
  return value.length >= 16 && !/\s/.test(value) && /[A-Za-z]/.test(value) && /\d/.test(value);
}

export function redactSecrets(text: string, options: RedactionOptions = {}): Redaction {
  let count = 0;
  const literals = [...(options.secretValues ?? []), ...(options.envTexts ?? []).flatMap(secretValuesFromEnv)]
    .filter((v) => v.length >= 4)
    // Longest first, so a value containing another is replaced whole.
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const value of new Set(literals)) {
    const parts = out.split(value);
    if (parts.length > 1) {
      count += parts.length - 1;
      out = parts.join(REDACTED);
    }
  }
  for (const pattern of secretPatterns) {
    out = out.replace(pattern, () => {
      count++;
      return REDACTED;
    });
  }
  return { text: out, count };
}

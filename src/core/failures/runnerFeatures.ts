// Which flags the installed runner accepts, from its version: an old jest refuses a flag it does
// not know ("Unrecognized CLI Parameter") and stops, so a flag is passed only when the version
// has it. Versions as the runners' package.json (or `node --version`) give them.

export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export function parseVersion(text: string | undefined): Version | undefined {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text ?? '');
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) } : undefined;
}

export function atLeast(v: Version, major: number, minor = 0, patch = 0): boolean {
  if (v.major !== major) return v.major > major;
  if (v.minor !== minor) return v.minor > minor;
  return v.patch >= patch;
}

export function showVersion(v: Version | undefined): string {
  return v ? `${v.major}.${v.minor}.${v.patch}` : 'unknown';
}

export interface JestFeatures {
  /** `--testTimeout` (jest 24.9). Before that the per-test timeout is jest's own default (5 s) or the project's. */
  readonly testTimeoutFlag: boolean;
  /** `--testLocationInResults` (jest 22; before it tests have no line in the report). */
  readonly testLocation: boolean;
}

/** An unknown version is taken as a current one. */
export function jestFeatures(version: Version | undefined): JestFeatures {
  return {
    testTimeoutFlag: !version || atLeast(version, 24, 9),
    testLocation: !version || atLeast(version, 22),
  };
}

export interface VitestFeatures {
  /** `--includeTaskLocation` on the command line (vitest 3; before, a config option only, and an unknown flag is an error). */
  readonly taskLocation: boolean;
  /** `vitest list --filesOnly --json` (vitest 2.1). */
  readonly listFiles: boolean;
}

export function vitestFeatures(version: Version | undefined): VitestFeatures {
  return {
    taskLocation: !version || atLeast(version, 3),
    listFiles: !version || atLeast(version, 2, 1),
  };
}

export interface NodeTestFeatures {
  /** `--test-reporter` and `--test-reporter-destination` with a reporter module (18.15, 19.6). */
  readonly reporters: boolean;
  /** `--test-name-pattern` (18.11). */
  readonly namePattern: boolean;
  /**
   * `--test-timeout` as a timeout of each test (24). From 20.11 to 23 it exists but times out each
   * test FILE as a whole, so a file of quick tests that together take longer would fail.
   */
  readonly perTestTimeout: boolean;
}

export function nodeTestFeatures(version: Version | undefined): NodeTestFeatures {
  if (!version) return { reporters: true, namePattern: true, perTestTimeout: false };
  return {
    reporters: atLeast(version, 19, 6) || (version.major === 18 && atLeast(version, 18, 15)),
    namePattern: atLeast(version, 18, 11),
    perTestTimeout: atLeast(version, 24),
  };
}

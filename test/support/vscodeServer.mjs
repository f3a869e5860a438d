// Starts the real VS Code (1.100.3, from the code-server npm package installed by
// scripts/installTestVSCode.sh) as a server on loopback and opens its workbench in headless Chromium
// through playwright-core. Shared by the integration runner and the end-to-end tests.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, existsSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');
const installDir = join(repoRoot, '.vscode-test/code-server');
export const vscodeDir = join(installDir, 'node_modules/code-server/lib/vscode');
const serverMain = join(vscodeDir, 'out/server-main.js');

export function ensureInstalled() {
  if (existsSync(join(installDir, '.installed-4.100.3'))) return;
  const r = spawnSync('bash', [join(repoRoot, 'scripts/installTestVSCode.sh')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('installing the VS Code used for tests failed (scripts/installTestVSCode.sh)');
}

export function tempDir(name) {
  return mkdtempSync(join(tmpdir(), `ducktrace-${name}-`));
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Installs a .vsix into an extensions folder with the server's own CLI. */
export function installVsix(vsix, extensionsDir, userDataDir) {
  const r = spawnSync(
    process.execPath,
    [serverMain, '--install-extension', vsix, '--force', '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--accept-server-license-terms'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`installing ${vsix} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * Starts the VS Code server. Returns { port, url(folder, payload), remote(path), stop() }.
 * `env` is added to the server's environment, which its extension host inherits.
 */
export async function startServer({ userDataDir, extensionsDir, env = {}, logFile, trustWorkspaces = true }) {
  const port = await freePort();
  const args = [serverMain, '--host', '127.0.0.1', '--port', String(port), '--without-connection-token', '--accept-server-license-terms', '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--disable-telemetry'];
  if (trustWorkspaces) args.push('--disable-workspace-trust');
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const log = logFile ? createWriteStream(logFile) : undefined;
  child.stdout.on('data', (d) => log?.write(d));
  child.stderr.on('data', (d) => log?.write(d));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/version`);
      if (res.status < 500) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`VS Code server exited with code ${child.exitCode} (log: ${logFile})`);
    if (Date.now() > deadline) throw new Error(`VS Code server did not listen within 60 s (log: ${logFile})`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    port,
    /** The server's process id (its extension hosts are among its descendants). */
    pid: child.pid,
    url(folder, payload) {
      const q = new URLSearchParams({ folder });
      if (payload) q.set('payload', JSON.stringify(payload));
      return `http://127.0.0.1:${port}/?${q}`;
    },
    remote(path) {
      return `vscode-remote://127.0.0.1:${port}${path}`;
    },
    async stop() {
      const kill = (sig) => {
        try {
          process.kill(-child.pid, sig);
        } catch {
          // already gone
        }
      };
      kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      kill('SIGKILL');
      log?.end();
    },
  };
}

/** Headless Debian Chromium, driven by playwright-core (no browser download). */
export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

// `npm run demo`: builds Ducktrace, starts the real VS Code used for tests (code-server's VS Code
// 1.100.3) with Ducktrace loaded from this folder and a copy of the sample workspace (failing
// Python and JavaScript tests), and prints the URL to open in a browser. Ctrl+C stops it.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureInstalled, repoRoot, startServer, tempDir } from '../test/support/vscodeServer.mjs';

const build = spawnSync(process.execPath, [join(repoRoot, 'scripts/build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
ensureInstalled();

const work = tempDir('demo');
const workspace = join(work, 'sample-workspace');
cpSync(join(repoRoot, 'test/fixtures/workspace'), workspace, { recursive: true });
mkdirSync(join(work, 'user-data/Machine'), { recursive: true });
writeFileSync(join(work, 'user-data/Machine/settings.json'), JSON.stringify({ 'workbench.startupEditor': 'none' }));
const server = await startServer({
  userDataDir: join(work, 'user-data'),
  extensionsDir: join(work, 'extensions'),
  logFile: join(work, 'server.log'),
  trustWorkspaces: false,
});
const url = server.url(workspace, [['extensionDevelopmentPath', server.remote(repoRoot)]]);
console.log(`\nDucktrace demo is running in VS Code 1.100.3.\n  Open: ${url}\n  Sample workspace: ${workspace}\n  Server log: ${join(work, 'server.log')}\nPress Ctrl+C to stop.\n`);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
setInterval(() => {}, 1 << 30);

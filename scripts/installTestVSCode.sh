#!/usr/bin/env bash
# Installs the real VS Code used by the integration and end-to-end tests: VS Code 1.100.3 as shipped
# inside the npm package code-server@4.100.3, plus playwright-core to drive its web workbench in
# Debian's Chromium. @vscode/test-electron cannot download VS Code on machines without internet, so
# this is the offline path. Everything lands in .vscode-test/ (git-ignored); a stamp file makes
# reruns instant. Needs libkrb5-dev, ripgrep and chromium from apt, installed here when run as root.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.vscode-test/code-server"
stamp="$dest/.installed-4.100.3"
if [ -f "$stamp" ]; then
  echo "VS Code for tests already installed in $dest"
  exit 0
fi
missing=()
command -v rg >/dev/null || missing+=(ripgrep)
command -v chromium >/dev/null || missing+=(chromium)
[ -f /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "error: missing ${missing[*]}; install with: sudo apt-get install -y libkrb5-dev ripgrep chromium" >&2
    exit 1
  fi
fi
mkdir -p "$dest"
cd "$dest"
[ -f package.json ] || echo '{"name":"ducktrace-test-vscode","private":true}' > package.json
echo "== code-server@4.100.3 and playwright-core (scripts off: they would download binaries)"
npm install --no-audit --no-fund --ignore-scripts code-server@4.100.3 playwright-core@1
echo "== argon2 from source"
npm rebuild argon2 --ignore-scripts=false --build-from-source
vs="$dest/node_modules/code-server/lib/vscode"
cd "$vs"
echo "== VS Code server's own dependencies"
npm install --omit=dev --ignore-scripts --no-audit --no-fund
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
for mod in @vscode/spdlog @parcel/watcher @vscode/deviceid native-watchdog kerberos node-pty; do
  if [ -d "node_modules/$mod" ]; then
    echo "== node-gyp rebuild $mod"
    (cd "node_modules/$mod" && npx --yes node-gyp rebuild >/dev/null)
  fi
done
ln -sfn node_modules node_modules.asar
echo "== built-in extensions' dependencies"
(cd extensions && npm install --omit=dev --ignore-scripts --no-audit --no-fund)
touch "$stamp"
echo "VS Code for tests installed in $dest"

// A save participant as formatters and linters have them (format on save, fix on save): each save
// waits before the file is written, so a second save that races the first is seen.
const vscode = require('vscode');

exports.activate = (context) => {
  context.subscriptions.push(vscode.workspace.onWillSaveTextDocument((e) => e.waitUntil(new Promise((resolve) => setTimeout(resolve, 1500)))));
};

// The extension's entry point stays thin: everything that touches the editor lives in src/vscode/.
export { activate, deactivate } from './vscode/activate';

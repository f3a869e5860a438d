// `ducktrace` on the command line: the same pipeline as the editor, for terminals, CI and benchmarks.
import { productName, productVersion } from './core/product';
import type { CliCommand } from './host/cli/cliSupport';
import { cliCommands } from './host/cli/commands';

function usage(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.usage.length), 10);
  return [
    `${productName} ${productVersion}: debug failing tests block by block.`,
    '',
    'Usage: ducktrace <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  --help, -h     show this help (or a command\'s help: ducktrace <command> --help)',
    '  --version, -v  print the version',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v') {
    process.stdout.write(`${productVersion}\n`);
    return 0;
  }
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(usage(cliCommands) + '\n');
    return first === undefined ? 2 : 0;
  }
  const command = cliCommands.find((c) => c.name === first);
  if (!command) {
    process.stderr.write(`ducktrace: unknown command '${first}'. Run 'ducktrace --help' for the list.\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  return command.run(rest, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`ducktrace: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

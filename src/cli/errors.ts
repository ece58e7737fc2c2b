/**
 * CLI error handling: user errors print one clear message and exit with their code; nothing a
 * user sees is a stack trace.
 */
import type { Command } from 'commander';

/** An error caused by the user's input (a file, a flag, an object): exit code 2 by default. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/**
 * Makes commander throw instead of exiting, so runMain decides exit codes. Call it before adding
 * subcommands: they inherit these settings only when created afterwards.
 */
export function prepareProgram(program: Command): void {
  program.exitOverride();
  program.configureOutput({
    outputError: (str, write) => {
      write(str);
    },
  });
}

/** Parses argv and runs the command, turning errors into a message and an exit code. */
export async function runMain(
  program: Command,
  argv: readonly string[] = process.argv,
): Promise<void> {
  prepareProgram(program);
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  // commander's own errors (unknown option, --help, --version) already printed their message.
  if (typeof err === 'object' && err !== null && 'exitCode' in err && 'code' in err) {
    const code = (err as { exitCode: number; code: string }).code;
    if (
      code === 'commander.helpDisplayed' ||
      code === 'commander.version' ||
      code === 'commander.help'
    )
      return 0;
    return 2;
  }
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${msg}\n`);
  if (process.env.EVERYNODE_DEBUG) console.error(err);
  return 1;
}

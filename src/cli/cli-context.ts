import type { ConfigValidationError } from '../config/env.validation';
import type { CliOutput } from './cli-output';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit-codes';

/** What every command gets: where to print, and where to leave its exit code. */
export interface CliContext {
  output: CliOutput;
  exitCode: number;
}

/**
 * Wraps a command's handler for commander: its return value is the exit code; a CliError or an invalid
 * configuration becomes a message on stderr and the matching code, never a stack trace.
 */
export function act<A extends unknown[]>(ctx: CliContext, handler: (...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    try {
      ctx.exitCode = (await handler(...args)) ?? EXIT_OK;
    } catch (error) {
      ctx.exitCode = report(ctx.output, error);
    }
  };
}

// Recognised by name rather than instanceof so that this module (loaded for --help) does not pull in the
// validation stack; the actions load it when they run.
const isConfigError = (error: unknown): error is ConfigValidationError =>
  error instanceof Error && error.name === 'ConfigValidationError' && Array.isArray((error as ConfigValidationError).problems);

export function report(output: CliOutput, error: unknown): number {
  if (isConfigError(error)) {
    output.error(`${error.message}\nSet ${error.problems.length > 1 ? 'them' : 'it'} in the environment or in .env (see .env.example).`);
    return EXIT_USAGE;
  }
  if (error instanceof CliError) {
    output.error(`error: ${error.message}`);
    return error.exitCode;
  }
  output.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT_FAILED;
}

/** Exit codes scripts can rely on; documented in `--help` and docs/cli.md. */
export const EXIT_OK = 0;
/** A check or an operation failed (CometChat refused, Redis unreachable, a job not found, a non-2xx answer). */
export const EXIT_FAILED = 1;
/** The command line or the configuration is wrong: nothing was attempted. */
export const EXIT_USAGE = 2;

export const EXIT_CODES_HELP = `
Exit codes:
  0  success (doctor: every check passed)
  1  a check or an operation failed (CometChat or Redis refused or unreachable, unknown job id, non-2xx answer)
  2  usage or configuration error (bad option, missing or invalid environment variable): nothing was attempted`;

/** A failure the CLI reports as one message and an exit code, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
    this.name = 'UsageError';
  }
}

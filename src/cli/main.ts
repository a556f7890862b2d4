import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { existsSync } from 'node:fs';
import { CliContext, report } from './cli-context';
import { CliOutput } from './cli-output';
import { addDoctorCommand } from './doctor.command';
import { EXIT_CODES_HELP, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit-codes';
import { addFailedCommand } from './failed.command';
import { addHandoffCommand } from './handoff.command';
import { addRegisterCommand } from './register.command';
import { addSimulateCommand } from './simulate.command';

/** Loads `.env` from the working directory like src/main.ts does; variables already set win. */
function loadDotEnv(): void {
  if (existsSync('.env')) process.loadEnvFile('.env');
}

/**
 * The whole CLI. Only commander and the command definitions load here; each action imports what it needs when
 * it runs, so `--help` and usage errors answer fast.
 * Settings made here before the commands are added (exit override, output) are inherited by them.
 */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('cometchat-bot')
    .description("Set up, check and operate the CometChat bot service. Configuration: the service's environment variables (and .env).")
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('afterAll', EXIT_CODES_HELP)
    .addHelpText(
      'after',
      `
Configuration comes from the service's environment variables; a .env file in the current directory is read
too (variables already set win). For another file: node --env-file=prod.env dist/cli/main.js <command>.`,
    )
    // Before any action, so that --help and usage errors never depend on the configuration.
    .hook('preAction', () => loadDotEnv());

  addSimulateCommand(program, ctx);
  addRegisterCommand(program, ctx);
  addDoctorCommand(program, ctx);
  addFailedCommand(program, ctx);
  addHandoffCommand(program, ctx);
  return program;
}

export async function run(argv: string[], output = new CliOutput()): Promise<number> {
  const ctx: CliContext = { output, exitCode: EXIT_OK };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (error) {
    // --help and --version end by "exiting" 0; every other parse failure is a usage error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    return report(output, error);
  }
}

if (require.main === module) {
  // `… | head` closes the pipe early: end quietly instead of crashing on EPIPE.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK);
  });
  run(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      return EXIT_FAILED;
    })
    .then((code) => {
      process.exitCode = code;
      // Connections are closed by each command; should a stray handle linger, the CLI still ends.
      setTimeout(() => process.exit(code), 1000).unref();
    })
    .catch(() => process.exit(EXIT_FAILED));
}

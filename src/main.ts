// First, in this order: .env, then tracing, which must be in place before anything loads http or fastify.
import './config/env-file';
import { tracing } from './tracing/start';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.setup';
import { BotModule } from './bot/bot.module';
import { ConfigValidationError, validateEnv } from './config/env.validation';

async function bootstrap(): Promise<void> {
  let env;
  try {
    env = validateEnv(process.env);
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }

  // The team's responders and tools (src/bot/) beside the built-in ones.
  const app = await createApp(env, [BotModule]);
  const logger = new Logger('main');
  await app.listen({ port: env.PORT, host: env.HOST });
  logger.log(`listening on ${env.HOST}:${env.PORT} as APP_ROLE=${env.APP_ROLE}`);

  // Our own handler rather than enableShutdownHooks(): Nest re-raises the signal after closing, which would
  // make the exit code 143; an orderly drain should exit 0.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: stopping intake and draining`);
    const hardStop = setTimeout(() => {
      logger.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, env.SHUTDOWN_GRACE_MS + 10_000);
    hardStop.unref();
    try {
      // New connections are refused from here; requests already in flight still finish (and are stored).
      await app.getHttpAdapter().close();
      // Then workers finish their jobs (bounded by SHUTDOWN_GRACE_MS) and connections close.
      await app.close();
      // Last, so the spans of the drain are sent too.
      await tracing.shutdown();
      process.exit(0);
    } catch (error) {
      logger.error(`shutdown failed: ${(error as Error).message}`);
      process.exit(1);
    }
  };
  // stop() catches its own failures and exits; the catch only makes that visible here.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stop(signal).catch(() => process.exit(1));
    });
  }
}

bootstrap().catch((error) => {
  process.stderr.write(`cometchat-bot-service failed to start: ${error instanceof Error ? error.message : error}\n`);
  process.exit(1);
});

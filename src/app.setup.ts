import { Logger, ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { servesQueueDashboard } from './admin/admin.module';
import { AppModule } from './app.module';
import { answerOversizeBodiesReadably } from './common/oversize-body';
import { EnvironmentVariables } from './config/env.validation';
import { LIVE_SANDBOX_PAGE_WARNING, sandboxBanner, servesSandboxPage } from './sandbox/sandbox-mode';

// Fastify's own default, should the adapter have been built without one.
const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** An incoming request id is kept (a proxy's or a caller's); otherwise Fastify numbers the request. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** The Fastify adapter with the body limit; the only place the HTTP server's options are set. */
export function createAdapter(env: EnvironmentVariables): FastifyAdapter {
  // No Nest middleware is used, so the middie layer would only cost every request; Nest still registers it
  // on demand if a team adds middleware later.
  // A trailing slash is the same route: a callback URL is often pasted with one.
  return new FastifyAdapter({
    bodyLimit: env.WEBHOOK_BODY_LIMIT,
    skipMiddie: true,
    routerOptions: { ignoreTrailingSlash: true },
    requestIdHeader: REQUEST_ID_HEADER,
  });
}

/** App-wide HTTP setup, shared by main.ts and the end-to-end tests. */
export async function configureApp(app: NestFastifyApplication): Promise<NestFastifyApplication> {
  const fastify = app.getHttpAdapter().getInstance();
  answerOversizeBodiesReadably(fastify, app.getHttpServer(), fastify.initialConfig.bodyLimit ?? DEFAULT_BODY_LIMIT);
  // Only JSON is a callback: with Nest's body parsers off (see createApp), Fastify's own JSON parser is the
  // one left once text/plain goes, so every other content type is answered 415.
  fastify.removeContentTypeParser('text/plain');
  await app.init();
  await fastify.ready();
  return app;
}

/** Builds the whole service for an environment validated once (validateEnv), by main.ts or a test. */
export async function createApp(env: EnvironmentVariables, imports: ModuleMetadata['imports'] = []): Promise<NestFastifyApplication> {
  const appModule = AppModule.forRole(env, imports, {
    sandboxPage: servesSandboxPage(env),
    queueDashboard: servesQueueDashboard(env),
  });
  const app = await NestFactory.create<NestFastifyApplication>(appModule, createAdapter(env), {
    // Held until pino takes over (LoggingModule), so even the boot's first lines are JSON.
    bufferLogs: true,
    abortOnError: false,
    bodyParser: false,
  });
  app.useLogger(app.get(PinoNestLogger));
  if (env.COMETCHAT_MODE === 'sandbox') new Logger('SandboxMode').warn(sandboxBanner(env));
  else if (servesSandboxPage(env)) new Logger('SandboxMode').warn(LIVE_SANDBOX_PAGE_WARNING);
  return configureApp(app);
}

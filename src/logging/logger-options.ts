import type { Params } from 'nestjs-pino';
import pino, { DestinationStream, LevelWithSilent, LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import type { EnvironmentVariables, LogLevel } from '../config/env.validation';

export type LoggingEnv = Pick<EnvironmentVariables, 'LOG_LEVEL' | 'LOG_FORMAT'>;

/** LOG_LEVEL keeps Nest's names; pino calls Nest's `verbose` `trace` (nestjs-pino maps the calls the same way). */
export const pinoLevel = (level: LogLevel): LevelWithSilent => (level === 'verbose' ? 'trace' : level);

/**
 * Where a credential could sit in anything logged whole: a request's or an axios error's headers, a config object.
 * The service logs none of these on purpose; this is the net under a log line written carelessly later.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers.apikey',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.apikey',
  'headers.cookie',
  'config.headers.authorization',
  'config.headers.apikey',
  'err.config.headers.authorization',
  'err.config.headers.apikey',
  'authorization',
  'apikey',
  'password',
  '*.password',
];

/** pino's options for the validated environment: the one place the log format is decided. */
export function pinoOptions(env: LoggingEnv): LoggerOptions {
  return {
    level: pinoLevel(env.LOG_LEVEL),
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    // The level as its name ("info"), not pino's number, for people and log pipelines alike.
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
  };
}

/**
 * LOG_FORMAT=pretty: one line per entry (time, level, context: message) and its fields below, for a person at a
 * terminal; coloured where the terminal supports it (pino-pretty's default, which honours NO_COLOR). Written in step
 * with the logging call, as the JSON is.
 */
export function prettyStream(destination?: DestinationStream): DestinationStream {
  return pretty({
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    messageKey: 'msg',
    messageFormat: '{if context}{context}: {end}{msg}',
    ignore: 'pid,hostname,context',
    ...(destination ? { destination, colorize: false } : {}),
  });
}

/** The service's root logger: JSON lines on stdout (or `destination`), or pretty ones. */
export function createRootLogger(env: LoggingEnv, destination?: DestinationStream): pino.Logger {
  const options = pinoOptions(env);
  if (env.LOG_FORMAT === 'pretty') return pino(options, prettyStream(destination));
  return destination ? pino(options, destination) : pino(options);
}

/**
 * nestjs-pino's parameters: Nest's Logger through the root logger. No HTTP middleware (`forRoutes: []`): pino-http
 * would build a child logger for every request, and needs the middleware layer the adapter leaves out of every
 * route (createAdapter, skipMiddie); the webhook writes its own one line per request instead (CallbackRoute).
 */
export function loggerParams(env: LoggingEnv): Params {
  return { pinoHttp: { logger: createRootLogger(env), autoLogging: false }, forRoutes: [] };
}

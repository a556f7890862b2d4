export { LoggingModule } from './logging.module';
export { createRootLogger, loggerParams, pinoLevel, pinoOptions, REDACTED_PATHS } from './logger-options';

import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { loggerParams, LoggingEnv } from './logger-options';

/**
 * The service's logs: pino behind Nest's Logger (createApp hands it to the app), so every `new Logger(context)` call
 * is a JSON line with its `context`. Exports nestjs-pino's Logger and PinoLogger (the module is global).
 */
@Module({})
export class LoggingModule {
  static forRoot(env: LoggingEnv): DynamicModule {
    return { module: LoggingModule, imports: [LoggerModule.forRoot(loggerParams(env))], exports: [LoggerModule] };
  }
}

import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule } from '@nestjs/config';
import {
  adminConfig,
  appConfig,
  botConfig,
  cometchatConfig,
  queueConfig,
  redisConfig,
  respondersConfig,
  sandboxConfig,
  webhookConfig,
} from './app.config';
import { validateEnv } from './env.validation';

/** Validated, typed configuration for every module; `.env` is loaded by main.ts before this runs. */
@Module({})
export class ConfigModule {
  /** Built when the app is composed, not when this file is imported, so it sees the environment of that moment. */
  static forRoot(): DynamicModule {
    return {
      module: ConfigModule,
      imports: [
        NestConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validate: validateEnv,
          load: [appConfig, redisConfig, botConfig, webhookConfig, cometchatConfig, queueConfig, respondersConfig, sandboxConfig, adminConfig],
        }),
      ],
    };
  }
}

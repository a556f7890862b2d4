import { Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule } from '@nestjs/config';
import { appConfig, botConfig, cometchatConfig, queueConfig, redisConfig, webhookConfig } from './app.config';
import { validateEnv } from './env.validation';

/** Validated, typed configuration for every module; `.env` is loaded by main.ts before this runs. */
@Module({
  imports: [
    NestConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      validate: validateEnv,
      load: [appConfig, redisConfig, botConfig, webhookConfig, cometchatConfig, queueConfig],
    }),
  ],
})
export class ConfigModule {}

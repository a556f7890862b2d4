import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { HttpErrorFilter } from './common/http-error.filter';
import { ConfigModule } from './config/config.module';
import type { AppRole } from './config/env.validation';
import { HealthModule } from './health/health.module';
import { ProcessingModule } from './queue/processing.module';
import { WebhookModule } from './webhook/webhook.module';

/** The role decides what runs: `api` takes callbacks, `worker` processes them, `all` does both. */
@Module({})
export class AppModule {
  static forRole(role: AppRole): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(),
        HealthModule,
        ...(role === 'worker' ? [] : [WebhookModule]),
        ...(role === 'api' ? [] : [ProcessingModule]),
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }],
    };
  }
}

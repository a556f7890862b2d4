import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { HttpErrorFilter } from './common/http-error.filter';
import { ConfigModule } from './config/config.module';
import type { AppRole } from './config/env.validation';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { ProcessingModule } from './queue/processing.module';
import { SandboxModule } from './sandbox/sandbox.module';
import { WebhookModule } from './webhook/webhook.module';

/** The role decides what runs: `api` takes callbacks, `worker` processes them, `all` does both. */
@Module({})
export class AppModule {
  /**
   * `imports` adds a team's own modules (responders, services) beside the built-in ones. `sandboxPage` adds the
   * local chat page (see servesSandboxPage); it needs the webhook, so never in the worker role.
   */
  static forRole(role: AppRole, imports: ModuleMetadata['imports'] = [], { sandboxPage = false } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(),
        HealthModule,
        MetricsModule,
        ...(role === 'worker' ? [] : [WebhookModule]),
        ...(role !== 'worker' && sandboxPage ? [SandboxModule] : []),
        ...(role === 'api' ? [] : [ProcessingModule]),
        ...imports,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }],
    };
  }
}

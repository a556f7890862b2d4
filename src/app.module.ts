import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AdminModule } from './admin/admin.module';
import { AgentsModule, servesAgents } from './agents/agents.module';
import { CometChatModule } from './cometchat/cometchat.module';
import { HttpErrorFilter } from './common/http-error.filter';
import { ConfigModule } from './config/config.module';
import type { EnvironmentVariables } from './config/env.validation';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging';
import { LlmModule } from './llm/llm.module';
import { MetricsModule } from './metrics/metrics.module';
import { ProcessingModule } from './queue/processing.module';
import { RedisModule } from './redis';
import { SandboxReplySenderModule } from './sandbox/sandbox-reply-sender.module';
import { SandboxModule } from './sandbox/sandbox.module';
import { WebhookModule } from './webhook/webhook.module';

/** The role decides what runs: `api` takes callbacks, `worker` processes them, `all` does both. */
@Module({})
export class AppModule {
  /**
   * `env` is the validated environment. `imports` adds a team's own modules (responders, services) beside the
   * built-in ones. `sandboxPage` adds the local chat page (see servesSandboxPage); it needs the webhook, so never in
   * the worker role. `queueDashboard` adds /admin/queues (see servesQueueDashboard), in every role: each serves HTTP.
   */
  static forRole(
    env: EnvironmentVariables,
    imports: ModuleMetadata['imports'] = [],
    { sandboxPage = false, queueDashboard = false } = {},
  ): DynamicModule {
    const role = env.APP_ROLE;
    // Replies reach CometChat, or in sandbox mode the local outbox: the one place that knows both exist.
    const replySender = env.COMETCHAT_MODE === 'sandbox' ? SandboxReplySenderModule : CometChatModule;
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(env),
        LoggingModule.forRoot(env),
        RedisModule,
        HealthModule,
        MetricsModule,
        ...(role === 'worker' ? [] : [WebhookModule]),
        // The AG-UI endpoint answers in the request, so it runs where HTTP traffic is taken; no bot with a token, no route.
        ...(role !== 'worker' && servesAgents(env) ? [AgentsModule] : []),
        ...(role !== 'worker' && sandboxPage ? [SandboxModule] : []),
        ...(role === 'api' ? [] : [ProcessingModule.register({ replySender, handoffTool: env.HANDOFF_NOTIFY !== undefined })]),
        ...(queueDashboard ? [AdminModule] : []),
        // The LLM responder only with a model to call; in every role, as the responders it joins may run in any.
        ...(env.LLM_MODEL ? [LlmModule] : []),
        ...imports,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }],
    };
  }
}

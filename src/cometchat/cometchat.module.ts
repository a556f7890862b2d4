import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { cometchatConfig, CometChatConfig } from '../config/app.config';
import { MetricsModule } from '../metrics/metrics.module';
import { SandboxOutboxModule } from '../sandbox/sandbox-outbox.module';
import { CometChatClient } from './cometchat-client.service';
import { CometChatMetricsInterceptor } from './cometchat-metrics.interceptor';
import { SandboxCometChatClient } from './sandbox-cometchat-client.service';

@Module({
  imports: [
    HttpModule.registerAsync({
      inject: [cometchatConfig.KEY],
      useFactory: (config: CometChatConfig) => ({
        baseURL: config.apiUrl,
        timeout: config.timeoutMs,
        headers: { apikey: config.apiKey, 'content-type': 'application/json', accept: 'application/json' },
        // Redirects on a POST would resend the message elsewhere; treat them as failures instead.
        maxRedirects: 0,
      }),
    }),
    SandboxOutboxModule,
    MetricsModule,
  ],
  providers: [
    CometChatMetricsInterceptor,
    {
      // One token, two transports: COMETCHAT_MODE decides whether replies reach CometChat or the sandbox outbox.
      provide: CometChatClient,
      inject: [cometchatConfig.KEY, ModuleRef],
      useFactory: (config: CometChatConfig, moduleRef: ModuleRef) =>
        moduleRef.create<Pick<CometChatClient, 'sendBotMessage'>>(
          config.mode === 'sandbox' ? SandboxCometChatClient : CometChatClient,
        ),
    },
  ],
  exports: [CometChatClient],
})
export class CometChatModule {}

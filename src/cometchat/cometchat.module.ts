import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { cometchatConfig, CometChatConfig } from '../config/app.config';
import { MetricsModule } from '../metrics/metrics.module';
import { AppCredentialsCheck } from './app-credentials.check';
import { CometChatClient } from './cometchat-client.service';
import { CometChatMetricsInterceptor } from './cometchat-metrics.interceptor';
import { REPLY_SENDER } from './reply-sender';

/** The live CometChat REST client, also provided as the REPLY_SENDER of a live bot, and the boot check of each bot's app credentials. */
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
    MetricsModule,
  ],
  providers: [CometChatMetricsInterceptor, CometChatClient, { provide: REPLY_SENDER, useExisting: CometChatClient }, AppCredentialsCheck],
  exports: [CometChatClient, REPLY_SENDER, AppCredentialsCheck],
})
export class CometChatModule {}

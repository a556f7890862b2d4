import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { cometchatConfig, CometChatConfig } from '../config/app.config';
import { CometChatClient } from './cometchat-client.service';

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
  ],
  providers: [CometChatClient],
  exports: [CometChatClient],
})
export class CometChatModule {}

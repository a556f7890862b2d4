import { HttpService } from '@nestjs/axios';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { isAxiosError } from 'axios';
import { ServedBots } from '../config/served-bots';
import { COMETCHAT_CALL_CLASSES, CometChatCallClass, NO_BOT } from '../metrics/metric-definitions';
import { MetricsService } from '../metrics/metrics.service';

declare module 'axios' {
  interface AxiosRequestConfig {
    /** The served bot a CometChat call is made for (its UID): the call's `bot` label in the metrics. */
    bot?: string;
  }
}

/** A CometChat answer's class for the metrics: 429 apart from the other 4xx (it pauses sending; they fail a reply). */
export function callClassOf(status: number | undefined): CometChatCallClass {
  if (status === undefined) return 'network';
  if (status === 429) return '429';
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  return status >= 200 ? '2xx' : 'network';
}

/**
 * Counts every CometChat call by the bot it was made for and what it answered, from an interceptor on the module's
 * HttpService: each call through any client of that service is counted once, and the clients only say whose call it
 * is (the request's `bot`).
 */
@Injectable()
export class CometChatMetricsInterceptor implements OnModuleInit {
  constructor(
    private readonly http: HttpService,
    private readonly metrics: MetricsService,
    private readonly bots: ServedBots,
  ) {}

  onModuleInit(): void {
    const calls = this.metrics.metrics.cometchatRequests;
    for (const { uid: bot } of this.bots.all) for (const callClass of COMETCHAT_CALL_CLASSES) calls.inc({ bot, class: callClass }, 0);
    this.http.axiosRef.interceptors.response.use(
      (response) => {
        calls.inc({ bot: response.config.bot ?? NO_BOT, class: callClassOf(response.status) });
        return response;
      },
      (error: unknown) => {
        // No response: refused, reset, timed out (or cancelled) before CometChat answered.
        const axios = isAxiosError(error) ? error : undefined;
        calls.inc({ bot: axios?.config?.bot ?? NO_BOT, class: callClassOf(axios?.response?.status) });
        return Promise.reject(error);
      },
    );
  }
}

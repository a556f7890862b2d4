import { HttpService } from '@nestjs/axios';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { isAxiosError } from 'axios';
import { COMETCHAT_CALL_CLASSES, CometChatCallClass } from '../metrics/metric-definitions';
import { MetricsService } from '../metrics/metrics.service';

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
 * Counts every CometChat call by what it answered, from an interceptor on the module's HttpService: each call
 * through any client of that service is counted once, and the clients know nothing of it.
 */
@Injectable()
export class CometChatMetricsInterceptor implements OnModuleInit {
  constructor(
    private readonly http: HttpService,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    const calls = this.metrics.metrics.cometchatRequests;
    for (const callClass of COMETCHAT_CALL_CLASSES) calls.inc({ class: callClass }, 0);
    this.http.axiosRef.interceptors.response.use(
      (response) => {
        calls.inc({ class: callClassOf(response.status) });
        return response;
      },
      (error: unknown) => {
        // No response: refused, reset, timed out (or cancelled) before CometChat answered.
        calls.inc({ class: callClassOf(isAxiosError(error) ? error.response?.status : undefined) });
        return Promise.reject(error);
      },
    );
  }
}

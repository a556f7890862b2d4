import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { BasicCredentials } from '../../common/basic-auth';
import { httpErrorBody } from '../../common/http-error.filter';
import { webhookConfig, WebhookConfig } from '../../config/app.config';
import type { Metrics, WebhookOutcome } from '../../metrics/metric-definitions';
import { MetricsService } from '../../metrics/metrics.service';
import { MessageNotStorableError, MessageNotStoredError } from '../../queue/events/events.producer';
import { refusalOf } from '../callback-refusal';
import { jsonSchemaOf } from '../callback-schema';
import { RETRY_AFTER_SECONDS, WEBHOOK_CHALLENGE, WEBHOOK_PATH } from '../callback.route';
import { webhookRoute } from '../webhook-route';
import { AppWebhookDto } from './app-event.dto';
import { isAppEventTrigger } from '../../messages';
import { AppEventRefusal, AppEventResult, AppEventsInbox, ChangedMessageNotYetStoredError } from './app-events.inbox';

export const APP_EVENTS_PATH = `${WEBHOOK_PATH}/events`;

/**
 * `POST /webhooks/cometchat/events`: CometChat's app webhooks (edits, deletes, reactions), with the callback route's
 * promises: Basic Auth (EVENTS_WEBHOOK_*, compared in constant time), 200 only once stored, 503 with Retry-After when it
 * cannot be, `duplicate` for a redelivery, `ignored` with a reason, 4xx naming the fields. A Fastify route as the
 * callback's is (see CallbackRoute); its path wins over the callback's `/webhooks/cometchat/{botUid}` (a bot UID
 * `events` could not be served on its own path, only on the shared one).
 */
@Injectable()
export class AppEventsRoute implements OnModuleInit {
  private readonly credentials: BasicCredentials;
  private readonly metrics: Metrics;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly inbox: AppEventsInbox,
    @Inject(webhookConfig.KEY) webhook: WebhookConfig,
    metrics: MetricsService,
    private readonly logger: PinoLogger,
  ) {
    this.credentials = new BasicCredentials(webhook.events.username, webhook.events.password);
    this.metrics = metrics.metrics;
    logger.setContext('AppEvents');
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // One count and one log line per request, whoever answered it (the handler, a hook, Fastify's body errors).
    const answered = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const status = reply.statusCode;
      const outcome: WebhookOutcome = status === 200 && request.webhookOutcome ? request.webhookOutcome : 'refused';
      const trigger = (request.body as { trigger?: unknown } | null)?.trigger;
      this.metrics.appEvents.inc({ trigger: isAppEventTrigger(trigger) ? trigger : 'other', outcome });
      const data = (request.body as { data?: { message?: { id?: unknown }; reaction?: { messageId?: unknown } } } | null)?.data;
      const messageId = data?.reaction?.messageId ?? data?.message?.id;
      this.logger[status >= 500 ? 'warn' : 'info'](
        {
          status,
          outcome,
          requestId: request.id,
          latencyMs: Math.round(reply.elapsedTime * 100) / 100,
          ...(typeof trigger === 'string' ? { trigger: trigger.slice(0, 64) } : {}),
          ...(typeof messageId === 'string' ? { messageId } : {}),
          ...(request.webhookReason ? { reason: request.webhookReason } : {}),
        },
        'app event',
      );
      done();
    };
    webhookRoute(fastify, {
      url: APP_EVENTS_PATH,
      body: jsonSchemaOf(AppWebhookDto),
      answered,
      handler: (request, reply) => this.receive(request, reply),
      posts: 'app webhooks',
    });
  }

  private async receive(request: FastifyRequest, reply: FastifyReply): Promise<AppEventResult | ReturnType<typeof httpErrorBody>> {
    if (!this.credentials.accepts(request.headers.authorization)) {
      request.webhookReason = 'missing or invalid Basic Auth credentials';
      reply.code(401).header('www-authenticate', WEBHOOK_CHALLENGE);
      return httpErrorBody(401, 'Missing or invalid Basic Auth credentials');
    }
    const refusal = refusalOf(request.body, request.validationError !== undefined, AppWebhookDto, 'app event');
    if (refusal !== null) return this.refuse(request, reply, 400, refusal);
    try {
      const result = await this.inbox.receive(request.body as AppWebhookDto);
      request.webhookOutcome = result.status;
      if (result.status === 'ignored') request.webhookReason = result.reason;
      return result;
    } catch (error) {
      if (error instanceof AppEventRefusal) return this.refuse(request, reply, error.status, error.message);
      if (error instanceof MessageNotStorableError) return this.refuse(request, reply, 422, `Event not stored: ${error.message}`);
      request.webhookReason = (error as Error).message;
      if (error instanceof ChangedMessageNotYetStoredError) {
        reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS));
        return httpErrorBody(503, `Event not stored: ${error.message}; retry later`);
      }
      if (!(error instanceof MessageNotStoredError)) throw error;
      reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS));
      return httpErrorBody(503, 'Event not stored: the queue is unavailable; retry later');
    }
  }

  private refuse(request: FastifyRequest, reply: FastifyReply, status: number, message: string) {
    request.webhookReason = message;
    reply.code(status);
    return httpErrorBody(status, message);
  }
}

import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { basicChallenge, BasicCredentials } from '../common/basic-auth';
import { httpErrorBody } from '../common/http-error.filter';
import { ServedBot, ServedBots } from '../config/served-bots';
import { botLabel, type WebhookOutcome } from '../metrics/metric-definitions';
import { MetricsService } from '../metrics/metrics.service';
import { MessageNotStorableError, MessageNotStoredError } from '../queue/events/events.producer';
import { refusalOf } from './callback-refusal';
import { webhookRoute } from './webhook-route';
import { jsonSchemaOf } from './callback-schema';
import { CometChatCallbackDto } from './dto/cometchat-callback.dto';
import { InboxResult, InboxService } from './inbox.service';
import { WebhookMetrics } from './webhook-metrics';
import { requestLine } from './webhook-request-log';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the inbox made of a webhook request (accepted, duplicate, ignored), for its metrics; null otherwise. */
    webhookOutcome: WebhookOutcome | null;
    /** Why the request was ignored or refused, for its log line; null when accepted or not known. */
    webhookReason: string | null;
  }
}

export const WEBHOOK_PATH = '/webhooks/cometchat';
/** Seconds a caller should wait before redelivering when the queue is unavailable. */
export const RETRY_AFTER_SECONDS = 5;
/** The `WWW-Authenticate` of a 401: CometChat sends Basic credentials (`useBasicAuth` on the bot). */
export const WEBHOOK_CHALLENGE = basicChallenge('cometchat-bot');

/**
 * `POST /webhooks/cometchat` (and `POST /webhooks/cometchat/{botUid}`), a Fastify route: Basic Auth, the callback's shape, then the inbox; 200 once the
 * message is stored, 503 when it cannot be. Registered on Fastify directly rather than as a Nest @Controller: Nest's
 * per-request route pipeline (execution context, guards, pipes, response controller) was the largest cost the
 * service added to a bare Fastify handler on this path (docs/benchmarks.md, "What the service does per request").
 *
 * The body's shape is the DTO's (class-validator), given to Fastify as a JSON schema derived from it at boot and
 * checked by a compiled ajv function that changes nothing in the body. Fastify attaches a refusal rather than
 * answering it, so credentials are checked first and the 400 names the fields in class-validator's words. Errors get
 * the service's `{statusCode, error, message}` shape; body errors (bad JSON, too large, wrong type) are Fastify's,
 * answered by Nest's error handling as on every route.
 */
@Injectable()
export class CallbackRoute implements OnModuleInit {
  /** Each bot's Basic Auth, by its UID. */
  private readonly credentials: Map<ServedBot, BasicCredentials>;
  private readonly metrics: WebhookMetrics;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly bots: ServedBots,
    private readonly inbox: InboxService,
    metrics: MetricsService,
    private readonly logger: PinoLogger,
  ) {
    this.credentials = new Map(bots.all.map((bot) => [bot, new BasicCredentials(bot.webhook.username, bot.webhook.password)]));
    this.metrics = new WebhookMetrics(metrics.metrics);
    logger.setContext('Webhook');
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Counted and logged once the answer is sent (onResponse), whoever gave it: the handler, a hook, Fastify's body
    // errors. It runs after the response, adding nothing to its latency. The outcome is a request decoration
    // (Fastify's way: requests keep one shape). One log line per request, the only one the webhook writes.
    fastify.decorateRequest('webhookOutcome', null);
    fastify.decorateRequest('webhookReason', null);
    // The bot is the one the request was for (botOf), whoever answered it: a 401 or a 400 counts for its bot too; one
    // that names no served bot (a 404) counts under NO_BOT. Its line names it only where several are served.
    const answered = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const status = reply.statusCode;
      const bot = this.botOf(request);
      const outcome = this.metrics.answered(botLabel(bot), status, request.webhookOutcome, reply.elapsedTime);
      const level = status >= 500 ? 'warn' : 'info';
      if (this.logger.logger.isLevelEnabled(level)) {
        this.logger[level](requestLine(request, status, outcome, reply.elapsedTime, this.bots.several ? bot?.uid : undefined), 'webhook request');
      }
      done();
    };
    const body = jsonSchemaOf(CometChatCallbackDto);
    // The bot's own path (`/webhooks/cometchat/{botUid}`, as a deployment of several bots is set up in CometChat) is
    // the same route for the bot it names; a bot this service does not serve is not found there.
    for (const url of [WEBHOOK_PATH, `${WEBHOOK_PATH}/:botUid`]) {
      webhookRoute(fastify, { url, body, answered, handler: (request, reply) => this.receive(request, reply), posts: 'callbacks' });
    }
  }

  private async receive(request: FastifyRequest, reply: FastifyReply): Promise<InboxResult | ReturnType<typeof httpErrorBody>> {
    const bot = this.botOf(request);
    // The answer names no bot this service serves.
    if (bot === undefined) {
      request.webhookReason = 'no bot served at this path';
      reply.code(404);
      return httpErrorBody(404, 'No bot is served at this path');
    }
    if (!this.credentials.get(bot)!.accepts(request.headers.authorization)) {
      request.webhookReason = 'missing or invalid Basic Auth credentials';
      reply.code(401).header('www-authenticate', WEBHOOK_CHALLENGE);
      return httpErrorBody(401, 'Missing or invalid Basic Auth credentials');
    }
    const refusal = refusalOf(request.body, request.validationError !== undefined) ?? this.otherBotNamed(request, bot);
    if (refusal !== null) {
      request.webhookReason = refusal;
      reply.code(400);
      return httpErrorBody(400, refusal);
    }
    try {
      // The body itself, as it came: every field CometChat sent, declared or not, reaches the queue.
      const result = await this.inbox.receive(request.body as CometChatCallbackDto, bot);
      request.webhookOutcome = result.status;
      if (result.status === 'ignored') request.webhookReason = result.reason;
      return result;
    } catch (error) {
      request.webhookReason = (error as Error).message;
      if (error instanceof MessageNotStorableError) {
        reply.code(422);
        return httpErrorBody(422, `Message not stored: ${error.message}`);
      }
      if (!(error instanceof MessageNotStoredError)) throw error;
      // Never a 200 for a message that was not stored: CometChat (or anyone) delivers it again later.
      reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS));
      return httpErrorBody(503, 'Message not stored: the queue is unavailable; retry later');
    }
  }

  /**
   * The bot a callback is for: the one its path names (`/webhooks/cometchat/{botUid}`, any case: CometChat lowercases
   * UIDs); on the shared path, the one its `bot` field names when this service serves several, else its one bot (whose
   * callbacks were never checked for the field).
   */
  private botOf(request: FastifyRequest): ServedBot | undefined {
    const { botUid } = request.params as { botUid?: string };
    if (botUid !== undefined) return this.bots.find(botUid);
    return this.bots.several ? this.bots.find((request.body as { bot?: unknown } | null)?.bot) : this.bots.all[0];
  }

  /**
   * With several bots, a callback is stored under its bot's name: one posted to a bot's path without a `bot` field gets
   * it, and one naming another bot than its path is refused (it would be answered as a bot it was not sent to).
   */
  private otherBotNamed(request: FastifyRequest, bot: ServedBot): string | null {
    if (!this.bots.several) return null;
    const callback = request.body as CometChatCallbackDto;
    if (callback.bot === undefined) callback.bot = bot.uid;
    return callback.bot.toLowerCase() === bot.uid ? null : `bot names ${JSON.stringify(callback.bot)}, not the bot of this path`;
  }
}

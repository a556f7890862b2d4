import { HttpException, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { httpErrorBody } from '../common/http-error.filter';
import type { WebhookOutcome } from '../metrics/metric-definitions';
import { MetricsService } from '../metrics/metrics.service';
import { MessageNotStorableError, MessageNotStoredError } from '../queue/events/events.producer';
import { BASIC_REALM, BasicAuthGuard } from './basic-auth.guard';
import { CallbackValidationPipe } from './callback-validation.pipe';
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

/**
 * `POST /webhooks/cometchat`: the guard, then the pipe, then the inbox; 200 once the message is stored, 503 when it
 * cannot be. Served by Fastify directly rather than through a Nest @Controller: Nest's per-request route pipeline
 * (execution context, guard and pipe consumers, response controller) was the largest cost the service added to a
 * bare Fastify handler on this path (docs/benchmarks.md, "What the service does per request"). The guard and the
 * pipe are the same Nest providers; errors get the service's `{statusCode, error, message}` shape. Body errors (bad
 * JSON, too large, wrong type) are Fastify's, answered by Nest's error handling as on every route.
 */
@Injectable()
export class WebhookController implements OnModuleInit {
  private readonly metrics: WebhookMetrics;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly guard: BasicAuthGuard,
    private readonly pipe: CallbackValidationPipe,
    private readonly inbox: InboxService,
    metrics: MetricsService,
    private readonly logger: PinoLogger,
  ) {
    this.metrics = new WebhookMetrics(metrics.metrics);
    logger.setContext('Webhook');
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Before the body is read: a compressed body would otherwise fail as bad JSON, a misleading 400. A callback
    // hook, not an async one: no promise on every callback's path.
    const identityOnly = (request: FastifyRequest, reply: FastifyReply, next: () => void) => {
      const encoding = request.headers['content-encoding'];
      if (encoding === undefined || encoding.trim().toLowerCase() === 'identity') return next();
      reply.code(415).send(httpErrorBody(415, `Content-Encoding ${encoding} is not accepted; send the JSON uncompressed`));
    };
    // Counted and logged once the answer is sent (onResponse), whoever gave it: the handler, a hook, Fastify's body
    // errors. It runs after the response, adding nothing to its latency. The outcome is a request decoration
    // (Fastify's way: requests keep one shape). One log line per request, the only one the webhook writes.
    fastify.decorateRequest('webhookOutcome', null);
    fastify.decorateRequest('webhookReason', null);
    const answered = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const status = reply.statusCode;
      const outcome = this.metrics.answered(status, request.webhookOutcome, reply.elapsedTime);
      const level = status >= 500 ? 'warn' : 'info';
      if (this.logger.logger.isLevelEnabled(level)) this.logger[level](requestLine(request, status, outcome, reply.elapsedTime), 'webhook request');
      done();
    };
    fastify.route({
      method: 'POST',
      url: WEBHOOK_PATH,
      onRequest: identityOnly,
      onResponse: answered,
      handler: (request, reply) => this.receive(request, reply),
    });
    fastify.route({
      method: ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: WEBHOOK_PATH,
      onResponse: answered,
      handler: async (request, reply) => {
        reply.code(405).header('allow', 'POST');
        return httpErrorBody(405, `${request.method} is not allowed here; CometChat POSTs its callbacks`);
      },
    });
  }

  private async receive(request: FastifyRequest, reply: FastifyReply): Promise<InboxResult | ReturnType<typeof httpErrorBody>> {
    if (!this.guard.accepts(request.headers.authorization)) {
      request.webhookReason = 'missing or invalid Basic Auth credentials';
      reply.code(401).header('www-authenticate', BASIC_REALM);
      return httpErrorBody(401, 'Missing or invalid Basic Auth credentials');
    }
    let callback;
    try {
      callback = this.pipe.transform(request.body);
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      request.webhookReason = error.message;
      reply.code(error.getStatus());
      return httpErrorBody(error.getStatus(), error.message);
    }
    try {
      const result = await this.inbox.receive(callback);
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
}

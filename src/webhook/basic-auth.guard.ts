import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { basicChallenge, BasicCredentials } from '../common/basic-auth';
import { webhookConfig, WebhookConfig } from '../config/app.config';

// Re-exported: the CLI, the sandbox and the tests import them from here.
export { basicAuthHeader, credentialsOf } from '../common/basic-auth';

export const BASIC_REALM = basicChallenge('cometchat-bot');

/** Basic Auth as CometChat sends it (`useBasicAuth` on the bot), compared in constant time. */
@Injectable()
export class BasicAuthGuard implements CanActivate {
  private readonly credentials: BasicCredentials;

  constructor(@Inject(webhookConfig.KEY) config: WebhookConfig) {
    this.credentials = new BasicCredentials(config.username, config.password);
  }

  /** Whether this Authorization header carries the configured credentials. */
  accepts(authorization: string | undefined): boolean {
    return this.credentials.accepts(authorization);
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    if (this.accepts(http.getRequest<FastifyRequest>().headers.authorization)) return true;
    http.getResponse<FastifyReply>().header('www-authenticate', BASIC_REALM);
    throw new UnauthorizedException('Missing or invalid Basic Auth credentials');
  }
}

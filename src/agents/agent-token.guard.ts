import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerChallenge, BearerToken } from '../common/basic-auth';
import { agentConfig, AgentConfig } from '../config/app.config';

export const AGENT_REALM = bearerChallenge('cometchat-bot-agent');

/** `Authorization: Bearer <AGENT_TOKEN>`, as CometChat sends the headers registered with the agent; constant time. */
@Injectable()
export class AgentTokenGuard implements CanActivate {
  private readonly token: BearerToken;

  constructor(@Inject(agentConfig.KEY) config: AgentConfig) {
    // AgentsModule is loaded only with a token (see AppModule).
    this.token = new BearerToken(config.token!);
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    if (this.token.accepts(http.getRequest<FastifyRequest>().headers.authorization)) return true;
    http.getResponse<FastifyReply>().header('www-authenticate', AGENT_REALM);
    throw new UnauthorizedException('Missing or invalid Bearer token');
  }
}

import { CanActivate, ExecutionContext, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerChallenge } from '../common/basic-auth';
import { AgentBots } from './agent-bots';

export const AGENT_REALM = bearerChallenge('cometchat-bot-agent');

/**
 * `Authorization: Bearer <token>`, as CometChat sends the headers registered with the agent, checked in constant time
 * against the token of the bot the path names (AgentBots): 404 when the path serves no agent, 401 for a wrong token.
 */
@Injectable()
export class AgentTokenGuard implements CanActivate {
  constructor(private readonly agents: AgentBots) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const agent = this.agents.of((request.params as { botUid?: string }).botUid);
    if ('missing' in agent) throw new NotFoundException(agent.missing);
    if (agent.token.accepts(request.headers.authorization)) return true;
    http.getResponse<FastifyReply>().header('www-authenticate', AGENT_REALM);
    throw new UnauthorizedException('Missing or invalid Bearer token');
  }
}

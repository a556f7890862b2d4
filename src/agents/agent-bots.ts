import { Injectable } from '@nestjs/common';
import { BearerToken } from '../common/basic-auth';
import { ServedBot, ServedBots } from '../config/served-bots';

/** The path every bot with a token has: `POST /agents/ag-ui/{botUid}`. */
export const AGENT_PATH = '/agents/ag-ui';

/** Said for a path that serves no agent; it names no bot, as the webhook's 404 names none. */
export const NO_AGENT_HERE = 'No AI agent is served at this path';

/** Said on the shared path when several bots have a token: which one the caller means is not ours to guess. */
export const AGENT_PATH_PER_BOT = `Several bots have an AI agent here: POST ${AGENT_PATH}/{botUid}, with that bot's agentToken`;

/** A bot whose AG-UI endpoint a request reached, with the token it is checked against. */
export interface AgentBot {
  bot: ServedBot;
  token: BearerToken;
}

/**
 * Which bot an AG-UI request is for. `/agents/ag-ui/{botUid}` (any case: CometChat lowercases UIDs) is that bot's,
 * if it has an agentToken. The shared `/agents/ag-ui` is the one bot's in a single-bot deployment (AGENT_TOKEN, as it
 * always was); with several bots it is the bot with a token only when exactly one has one, so a second token added
 * later turns it into a 404 that points to the per-bot path rather than silently answering as the wrong bot.
 */
@Injectable()
export class AgentBots {
  private readonly byBot = new Map<ServedBot, AgentBot>();
  private readonly shared: AgentBot | undefined;

  constructor(private readonly bots: ServedBots) {
    for (const bot of bots.all) if (bot.agentToken !== undefined) this.byBot.set(bot, { bot, token: new BearerToken(bot.agentToken) });
    this.shared = this.byBot.size === 1 ? [...this.byBot.values()][0] : undefined;
  }

  /** The bot of a request's path (`botUid` undefined: the shared path), or why there is none (a 404's message). */
  of(botUid: string | undefined): AgentBot | { missing: string } {
    if (botUid === undefined) return this.shared ?? { missing: AGENT_PATH_PER_BOT };
    const bot = this.bots.find(botUid);
    return (bot && this.byBot.get(bot)) ?? { missing: NO_AGENT_HERE };
  }
}

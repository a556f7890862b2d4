import { Module } from '@nestjs/common';
import { botsOf } from '../config/bots-file';
import type { EnvironmentVariables } from '../config/env.validation';
import { ConversationStateModule } from '../conversation-state/conversation-state.module';
import { RespondersModule } from '../responders/responders.module';
import { AgentBots } from './agent-bots';
import { AgentTokenGuard } from './agent-token.guard';
import { AgUiController } from './ag-ui.controller';

/**
 * Whether any bot has an AG-UI endpoint: AGENT_TOKEN for the one bot, or an agentToken in BOTS_FILE (not only the
 * first bot's: AGENT_TOKEN is only ever the first bot's with a file).
 */
export const servesAgents = (env: EnvironmentVariables): boolean => botsOf(env).some((bot) => bot.agentToken !== undefined);

/**
 * POST /agents/ag-ui[/{botUid}], CometChat's AI Agent (AG-UI) path: the same responders as the bot callback,
 * answering in the request as a stream. AppModule loads it only when some bot has a token (servesAgents; else the
 * routes do not exist: 404), in the roles that take HTTP traffic. Nothing depends on this module.
 */
@Module({
  imports: [RespondersModule, ConversationStateModule],
  controllers: [AgUiController],
  providers: [AgentBots, AgentTokenGuard],
})
export class AgentsModule {}

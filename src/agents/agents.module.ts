import { Module } from '@nestjs/common';
import { ConversationStateModule } from '../conversation-state/conversation-state.module';
import { RespondersModule } from '../responders/responders.module';
import { AgentTokenGuard } from './agent-token.guard';
import { AgUiController } from './ag-ui.controller';

/**
 * POST /agents/ag-ui, CometChat's AI Agent (AG-UI) path: the same responders as the bot callback, answering in
 * the request as a stream. AppModule loads it only when AGENT_TOKEN is set (else the route does not exist: 404),
 * in the roles that take HTTP traffic. Nothing depends on this module.
 */
@Module({
  imports: [RespondersModule, ConversationStateModule],
  controllers: [AgUiController],
  providers: [AgentTokenGuard],
})
export class AgentsModule {}

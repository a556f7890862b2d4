import { Module } from '@nestjs/common';
import { CurrentTimeTool } from './current-time.tool';

/**
 * The team's own bot: add @Responder() classes (src/responders/examples shows two) and @LlmTool() classes
 * (current-time.tool.ts is one) to `providers` here, with the services they need. main.ts loads this module in
 * production; nothing under src/ outside src/bot/ needs editing. Tools are offered to the model only when the
 * LLM responder is on (LLM_MODEL set).
 */
@Module({
  providers: [CurrentTimeTool],
})
export class BotModule {}

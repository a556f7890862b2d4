import { Inject } from '@nestjs/common';
import { z } from 'zod';
import { handoffConfig, HandoffConfig } from '../config/app.config';
import { LlmTool, LlmToolContext, LlmToolProvider } from '../llm';
import { Handoffs } from './handoffs.service';

const input = z.object({
  summary: z.string().max(500).describe('One line for the support team: what the user needs and what was tried. No links.'),
});

/**
 * The LLM's way to hand a conversation to people, exactly as `/human` does: offered only with HANDOFF_NOTIFY (someone
 * to tell). It ends the answer: the user is told HANDOFF_TEXT; the model's summary ends the team's transcript.
 */
@LlmTool({
  name: 'handoff',
  description:
    'Hand this conversation to a person of the support team: when the user asks for a human, or when you cannot help them. The user is told a person will take over; write nothing yourself.',
  inputSchema: input,
  endsAnswer: true,
})
export class HandoffTool implements LlmToolProvider<z.infer<typeof input>> {
  constructor(
    private readonly handoffs: Handoffs,
    @Inject(handoffConfig.KEY) private readonly config: Pick<HandoffConfig, 'text'>,
  ) {}

  async execute({ summary }: z.infer<typeof input>, { event }: LlmToolContext): Promise<string> {
    await this.handoffs.handOff(event, summary);
    return this.config.text;
  }
}

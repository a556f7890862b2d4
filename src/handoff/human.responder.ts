import { Inject } from '@nestjs/common';
import { handoffConfig, HandoffConfig } from '../config/app.config';
import type { BotResponder, ResponderContext } from '../responders/bot-responder.interface';
import { textReply } from '../responders/reply.builders';
import { Responder } from '../responders/responder.decorator';
import { Handoffs } from './handoffs.service';

/** What `/human` answers where there is no CometChat conversation to hand over (the AG-UI endpoint). */
export const NO_HANDOFF_HERE = 'Handing over to a person works in CometChat chats only.';

/**
 * `/human`: hands the conversation to people. The user is told HANDOFF_TEXT; the team gets the transcript
 * (HANDOFF_NOTIFY); the bot says nothing more there until `/bot`, `cli handoff resume` or HANDOFF_TIMEOUT_MS.
 */
@Responder({ name: 'human', priority: 1000, commands: { human: 'Hand this conversation to a person' } })
export class HumanResponder implements BotResponder {
  constructor(
    private readonly handoffs: Handoffs,
    @Inject(handoffConfig.KEY) private readonly config: Pick<HandoffConfig, 'text'>,
  ) {}

  async respond({ event, path }: ResponderContext) {
    if (path !== 'bot') return textReply(NO_HANDOFF_HERE);
    await this.handoffs.handOff(event);
    return textReply(this.config.text);
  }
}

import type { BotResponder, ResponderContext } from '../responders/bot-responder.interface';
import { textReply } from '../responders/reply.builders';
import { Responder } from '../responders/responder.decorator';
import { Handoffs, RESUME_COMMAND } from './handoffs.service';

/** What `/bot` answers as it gives a handed-off conversation back to the bot. */
export const BACK_TEXT = "I'm back. How can I help?";
/** What `/bot` answers in a conversation that was not handed off. */
export const ALREADY_HERE_TEXT = "I'm here already: nobody took this conversation over.";

/** `/bot`: the one message a handed-off conversation still answers (the gate lets it through); it ends the handoff. */
@Responder({ name: 'resume', priority: 1000, commands: { [RESUME_COMMAND]: 'Talk to me again after /human' } })
export class ResumeResponder implements BotResponder {
  constructor(private readonly handoffs: Handoffs) {}

  async respond({ event, path }: ResponderContext) {
    if (path !== 'bot') return textReply(ALREADY_HERE_TEXT);
    return textReply((await this.handoffs.resume(event.conversation)) ? BACK_TEXT : ALREADY_HERE_TEXT);
  }
}

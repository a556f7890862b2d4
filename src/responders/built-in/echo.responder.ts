import type { BotEvent } from '../../queue/job-contracts';
import type { BotResponder, ResponderContext } from '../bot-responder.interface';
import { textReply } from '../reply.builders';
import { Responder } from '../responder.decorator';

/** Answers a text message with its own text (mentions of the bot removed). Lowest priority: a fallback. */
@Responder({ name: 'echo', priority: -100 })
export class EchoResponder implements BotResponder {
  match(event: BotEvent): boolean {
    return event.category === 'message' && event.type === 'text' && !!event.text;
  }

  respond({ event }: ResponderContext) {
    return textReply(event.text!);
  }
}

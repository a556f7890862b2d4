import { Inject } from '@nestjs/common';
import { respondersConfig, RespondersConfig } from '../../config/app.config';
import type { BotResponder, ResponderContext } from '../bot-responder.interface';
import { textReply } from '../reply.builders';
import { Responder } from '../responder.decorator';

/**
 * Answers a text message with its own text (the bot's mentions removed): the contract's default behaviour, at
 * the lowest priority so any other responder wins. ECHO_ENABLED=false switches it off.
 */
@Responder({ name: 'echo', priority: -100, kinds: ['text'] })
export class EchoResponder implements BotResponder {
  constructor(@Inject(respondersConfig.KEY) private readonly config: Pick<RespondersConfig, 'echoEnabled'>) {}

  match({ text }: { text?: string }): boolean {
    return this.config.echoEnabled && !!text;
  }

  respond({ event }: ResponderContext) {
    return textReply(event.text!);
  }
}

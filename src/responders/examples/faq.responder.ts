import { Inject } from '@nestjs/common';
import type { BotEvent } from '../../messages';
import type { BotResponder, ResponderContext } from '../bot-responder.interface';
import { textReply } from '../reply.builders';
import { Responder } from '../responder.decorator';
import { FaqCatalog } from './faq-catalog';

/** A keyword FAQ: answers text that contains one of a question's keywords, from a JSON file (FAQ_FILE). */
@Responder({ name: 'faq', priority: 10, kinds: ['text'] })
export class FaqResponder implements BotResponder {
  constructor(@Inject(FaqCatalog) private readonly catalog: FaqCatalog) {}

  match(event: BotEvent): boolean {
    return !!event.text && !event.text.startsWith('/') && this.catalog.answer(event.text) !== undefined;
  }

  respond({ event }: ResponderContext) {
    return textReply(this.catalog.answer(event.text!)!);
  }
}

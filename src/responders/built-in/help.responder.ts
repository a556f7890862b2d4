import type { BotResponder, ResponderContext } from '../bot-responder.interface';
import { textReply } from '../reply.builders';
import { Responder } from '../responder.decorator';
import { ResponderRegistry } from '../responder.registry';

/** `/help`: lists every command the bot's responders declare, with its one-line description. */
@Responder({ name: 'help', priority: 1000, commands: { help: 'List what I can do' } })
export class HelpResponder implements BotResponder {
  constructor(private readonly registry: ResponderRegistry) {}

  respond({ event }: ResponderContext) {
    const lines = this.registry
      .commands(event.bot)
      .sort((a, b) => a.command.localeCompare(b.command))
      .map(({ command, description }) => `/${command} — ${description}`);
    return textReply(`Commands:\n${lines.join('\n')}`);
  }
}

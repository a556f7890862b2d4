import type { BotResponder } from '../bot-responder.interface';
import { textReply } from '../reply.builders';
import { Responder } from '../responder.decorator';
import { ResponderRegistry } from '../responder.registry';

/** `/help`: lists every command the responders declare, with its one-line description. */
@Responder({ name: 'help', priority: 1000, commands: { help: 'List what I can do' } })
export class HelpResponder implements BotResponder {
  constructor(private readonly registry: ResponderRegistry) {}

  respond() {
    const lines = this.registry
      .commands()
      .sort((a, b) => a.command.localeCompare(b.command))
      .map(({ command, description }) => `/${command} — ${description}`);
    return textReply(`Commands:\n${lines.join('\n')}`);
  }
}

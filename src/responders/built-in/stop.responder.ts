import type { BotResponder } from '../bot-responder.interface';
import { textReply } from '../reply.builders';
import { Responder } from '../responder.decorator';

/** What `/stop` answers when the conversation has no turn running. */
export const NOTHING_TO_STOP = 'Nothing to stop.';

/**
 * `/stop`. A `/stop` that finds its conversation's turn running stops it as it arrives, wherever it runs, and is
 * answered by nothing (the stopped answer ends with "(stopped)"). One that finds nothing running takes its turn like
 * any message, and this responder says so. Declared here so that `/help` lists it.
 */
@Responder({ name: 'stop', priority: 1000, commands: { stop: 'Stop the answer I am writing' } })
export class StopResponder implements BotResponder {
  respond() {
    return textReply(NOTHING_TO_STOP);
  }
}

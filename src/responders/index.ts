export type { BotEvent, BotReply, Attachment, Conversation } from '../queue/job-contracts';
export type { BotResponder, ResponderContext } from './bot-responder.interface';
export { Responder } from './responder.decorator';
export { textReply, customReply } from './reply.builders';

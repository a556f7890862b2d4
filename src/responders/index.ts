// The responder API: everything a team needs to write, register and test bot behaviour.
export type { BotEvent, BotEventKind, BotReply, Attachment, Conversation, Feedback, Reaction } from '../messages';
export { feedbackOf } from '../messages';
export type { BotResponder, ResponderContext, ParsedCommand, ResponderResult, ResponderStreamPart, HistoryMessage } from './bot-responder.interface';
export type { RespondOptions, StreamPart, TurnOutcome } from './responder-router';
export type { ConversationState } from './conversation-state';
export { Responder, responderOptionsOf } from './responder.decorator';
export type { ResponderOptions, MessageKind, NewMessageMode } from './responder.decorator';
export { TurnFailedError, ResponderTimeoutError, RetryLaterError } from './turn-failed.error';
export * from './reply.builders';

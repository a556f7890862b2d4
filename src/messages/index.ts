// The message types every layer shares; this folder imports nothing else of the service's.
export type { Attachment, BotEvent, BotEventKind, Conversation, Reaction } from './bot-event';
export { BOT_EVENT_KINDS } from './bot-event';
export { conversationKey } from './bot-event';
export type { BotReply } from './bot-reply';
export { textOf } from './bot-reply';
export { isStopRequest } from './stop-request';
export type { AppEventTrigger, CallbackContent, CallbackMessage, CometChatCallback, MessageChange } from './cometchat-callback';
export { APP_EVENT_TRIGGERS, isAppEventTrigger } from './cometchat-callback';
export { conversationOf, mentionsBot, mentionStripper, toBotEvent } from './bot-event.factory';
export { feedbackOf } from './feedback';
export type { Feedback } from './feedback';

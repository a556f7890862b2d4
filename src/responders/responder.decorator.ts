import { applyDecorators, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { BotEventKind } from '../messages';

/** What an incoming message is: the type for `message` (text, image, file, audio, video), else the category. */
export type MessageKind = 'text' | 'image' | 'file' | 'audio' | 'video' | 'custom' | 'interactive' | (string & {});

export interface ResponderOptions {
  /** Unique across the app; startup fails on a duplicate. */
  name: string;
  /** Higher runs first; the built-in echo sits at -100 so anything else wins. Default 0. */
  priority?: number;
  /** Slash commands this responder handles, each with a one-line description shown by /help. */
  commands?: Record<string, string>;
  /** Matches the text (the bot's mentions removed); the match reaches respond() as ctx.match. */
  pattern?: RegExp;
  /**
   * What happened that this responder takes: a new `message`, or (from CometChat's app webhooks) a message `edited`,
   * `deleted`, `reaction-added` or `reaction-removed` (ctx.event.kind says which). Default `['message', 'edited']`: an
   * edited question is answered again like a new one (ANSWER_EDITED_MESSAGES).
   */
  on?: BotEventKind[];
  /** Message kinds taken (text, image, …; see MessageKind); default: any. */
  kinds?: MessageKind[];
  /** One-to-one chats only, or group chats only; default: both. */
  chat?: 'user' | 'group';
  /** Only messages that mention the bot. */
  mentioned?: boolean;
  /** Overrides RESPONDER_TIMEOUT_MS for this responder. */
  timeoutMs?: number;
  /**
   * Answer a burst once: the conversation's messages that arrived while its previous turn ran reach respond()
   * together as ctx.batch (oldest first), and the turn is answered once. Default false: one turn per message.
   * The same as `onNewMessage: 'coalesce'`.
   */
  coalesce?: boolean;
  /**
   * What a new message this responder takes does to its running turn: `queue` behind it (the default), `coalesce`
   * (answered with the others that waited, when the turn ends: `coalesce: true`), or `interrupt` it: the running answer
   * is aborted and respond() runs again at once with ctx.batch holding the interrupted message and the new ones (a
   * streamed answer shown already goes on in the same message).
   */
  onNewMessage?: NewMessageMode;
  /**
   * Also take messages sent by the other bots of this deployment (BOTS_FILE), which no responder takes by default, so
   * that two bots in one group never answer each other in a loop. Default false.
   */
  answersBots?: boolean;
}

export type NewMessageMode = 'queue' | 'coalesce' | 'interrupt';

/** What a new message does to a running turn of this responder (`coalesce: true` is `coalesce`). */
export const newMessageMode = (options: Pick<ResponderOptions, 'coalesce' | 'onNewMessage'>): NewMessageMode =>
  options.onNewMessage ?? (options.coalesce ? 'coalesce' : 'queue');

/** What a responder takes when it declares no `on`. */
export const DEFAULT_EVENT_KINDS: readonly BotEventKind[] = ['message', 'edited'];

/** Marks the metadata the registry discovers. */
export const ResponderMetadata = DiscoveryService.createDecorator<ResponderOptions>();

/** Declares a class as a responder: list it in a module's providers and the registry finds it. */
export const Responder = (options: ResponderOptions) => applyDecorators(Injectable(), ResponderMetadata(options));

/** The options a @Responder() class was declared with (for the test kit and the registry). */
export function responderOptionsOf(target: object): ResponderOptions | undefined {
  const type = typeof target === 'function' ? target : target.constructor;
  return Reflect.getMetadata(ResponderMetadata.KEY, type) as ResponderOptions | undefined;
}

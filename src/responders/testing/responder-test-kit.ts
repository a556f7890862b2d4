import { CometChatCallback, mentionStripper, toBotEvent } from '../../messages';
import { textOf, type BotEvent, type BotEventKind, type BotReply, type MessageChange } from '../../messages';
import type { BotResponder } from '../bot-responder.interface';
import { InMemoryConversationState } from '../conversation-state';
import { responderOptionsOf } from '../responder.decorator';
import type { LiveSettings } from '../live-answer';
import { RespondOptions, ResponderRouter, RouterSettings, StreamPart } from '../responder-router';

/**
 * Unit-test a responder in a few lines, with no Redis and no HTTP: build an event from a fixture or a few
 * fields, run one responder or several through the same router production uses, and look at the replies
 * and the state.
 */

export const TEST_BOT_UID = 'support-bot';

export interface EventFields {
  text?: string;
  /** Sender UID; default `cometchat-uid-1`. */
  sender?: string;
  senderName?: string;
  /** A group GUID: the message is a group message. */
  group?: string;
  /** Prefix the text with the bot's mention token (and list it in data.mentions). */
  mention?: boolean;
  parentId?: string;
  category?: string;
  type?: string;
  attachments?: Array<{ url: string; name?: string; mimeType?: string; extension?: string; size?: number }>;
  metadata?: Record<string, unknown>;
  customData?: Record<string, unknown>;
  id?: string;
  botUid?: string;
  /**
   * A change to the message instead of a new one (CometChat's app webhooks): `edited` (`text` its new text), `deleted`,
   * `reaction-added` / `reaction-removed` (by `sender`).
   */
  kind?: BotEventKind;
  /** `edited`: the text the message had before, as the service knows it when it answered it. */
  before?: string;
  /** A reaction's emoji (`👍`); `onAnswer`: the message is the bot's answer, said by this responder to that question. */
  reaction?: string;
  onAnswer?: { responder?: string; question?: string };
}

let nextId = 1;

/** A CometChat-shaped callback from a few fields, as the webhook would receive it. */
export function callbackFrom(fields: EventFields = {}): CometChatCallback {
  const bot = fields.botUid ?? TEST_BOT_UID;
  const sender = fields.sender ?? 'cometchat-uid-1';
  const text = fields.text === undefined ? undefined : fields.mention ? `<@uid:${bot}> ${fields.text}` : fields.text;
  const data: Record<string, unknown> = {
    ...(text !== undefined ? { text } : {}),
    ...(fields.mention ? { mentions: { [bot]: { uid: bot, name: bot } } } : {}),
    ...(fields.attachments ? { attachments: fields.attachments } : {}),
    ...(fields.metadata ? { metadata: fields.metadata } : {}),
    ...(fields.customData ? { customData: fields.customData } : {}),
    entities: { sender: { entity: { uid: sender, name: fields.senderName ?? sender }, entityType: 'user' } },
  };
  const kind = fields.kind ?? 'message';
  const reaction = fields.reaction ?? (kind.startsWith('reaction') ? '👍' : undefined);
  const change: MessageChange | undefined =
    kind === 'message'
      ? undefined
      : { kind, key: `${fields.id ?? nextId}.${kind}`, ...(reaction ? { reaction: { emoji: reaction, by: { uid: sender } } } : {}), appEvent: {} };
  return {
    trigger: 'after_message',
    ...(change ? { change } : {}),
    bot,
    data: {
      id: fields.id ?? String(nextId++),
      sender,
      receiver: fields.group ?? bot,
      receiverType: fields.group ? 'group' : 'user',
      category: fields.category ?? 'message',
      type: fields.type ?? (fields.attachments ? 'image' : 'text'),
      ...(fields.parentId ? { parentId: fields.parentId } : {}),
      data,
      sentAt: Math.floor(Date.now() / 1000),
    },
  } as unknown as CometChatCallback;
}

/** The event a responder receives, from a fixture (a parsed callback JSON) or from a few fields. */
export function buildEvent(source: EventFields | Record<string, unknown> = {}, botUid = TEST_BOT_UID): BotEvent {
  const callback = 'trigger' in source && 'data' in source ? (source as unknown as CometChatCallback) : callbackFrom(source);
  const event = toBotEvent(callback, botUid, mentionStripper(botUid));
  // What the worker adds from its records (AnswerRecords) before responders see a change.
  const { before, onAnswer } = source as EventFields;
  if (before !== undefined && event.kind === 'edited') event.before = { text: before };
  if (onAnswer && event.reaction) event.reaction.onAnswer = onAnswer;
  return event;
}

export interface TurnResult {
  /** The responder that took the event ('fallback' when the fallback text answered), if any. */
  responder?: string;
  replies: BotReply[];
  /** The text of each text reply, in order: the common assertion. */
  texts: string[];
  /** The conversation state after the turn (pass it to the next turn to continue the conversation). */
  state: InMemoryConversationState;
  /** The streamed parts, in order, as the agent path would show them (empty when the responder did not stream). */
  parts: StreamPart[];
  /**
   * With `live`: what the bot path would show of a streamed answer while it is written, each with when (ms after the
   * turn started). `post` is absent when the answer finished before PROGRESS_AFTER_MS (posted once, whole: `replies`);
   * `edits` end with the whole answer.
   */
  live?: { post?: { text: string; atMs: number }; edits: Array<{ text: string; atMs: number }> };
}

/** The bot path's shipped defaults (PROGRESS_AFTER_MS, PROGRESS_TEXT, STREAM_EDIT_INTERVAL_MS). */
export const LIVE_DEFAULTS: LiveSettings = { progressAfterMs: 1500, progressText: '…', editIntervalMs: 2000 };

/** The router production uses, over the responders given (instances of @Responder() classes). */
export function routerFor(responders: BotResponder | BotResponder[], settings: Partial<RouterSettings> = {}): ResponderRouter {
  const list = (Array.isArray(responders) ? responders : [responders]).map((instance) => {
    const declared = responderOptionsOf(instance);
    if (!declared) throw new Error(`${instance.constructor.name} is not decorated with @Responder()`);
    return { options: declared, instance };
  });
  return new ResponderRouter(list, { timeoutMs: 30_000, ...settings });
}

/**
 * Runs one turn through the responders given (instances of @Responder() classes, built with whatever fakes
 * their constructors need), exactly as the registry does: priorities, declared criteria, match(), timeout,
 * fallback. Throws what the responder throws.
 */
export async function runTurn(
  responders: BotResponder | BotResponder[],
  event: BotEvent,
  options: {
    state?: InMemoryConversationState;
    settings?: Partial<RouterSettings>;
    /** 'agent' runs the turn as the AG-UI endpoint does; default 'bot'. */
    path?: RespondOptions['path'];
    history?: RespondOptions['history'];
    signal?: AbortSignal;
    /**
     * Run a streamed answer as the bot path shows it (true: at the shipped defaults), in real time: the result's `live`
     * has the post and the edits it would make.
     */
    live?: true | Partial<LiveSettings>;
  } = {},
): Promise<TurnResult> {
  const router = routerFor(responders, options.settings);
  const state = options.state ?? new InMemoryConversationState();
  const parts: StreamPart[] = [];
  const started = performance.now();
  const at = () => Math.round(performance.now() - started);
  const live: NonNullable<TurnResult['live']> = { edits: [] };
  const sink = {
    post: async (reply: BotReply) => void (live.post = { text: textOf(reply), atMs: at() }),
    edit: async (text: string) => void live.edits.push({ text, atMs: at() }),
  };
  const { responder, replies } = await router.respond(event, state, {
    path: options.path,
    history: options.history,
    signal: options.signal,
    onPart: (part) => parts.push(part),
    ...(options.live ? { live: { settings: { ...LIVE_DEFAULTS, ...(options.live === true ? {} : options.live) }, sink } } : {}),
  });
  const texts = replies.filter((r) => r.type === 'text').map((r) => String(r.data.text));
  // The turn's end: its whole answer, as the last edit, when that is not what shows already.
  if (live.post && texts[0] !== undefined && texts[0] !== (live.edits.at(-1)?.text ?? live.post.text))
    live.edits.push({ text: texts[0], atMs: at() });
  return { responder, replies, texts, state, parts, ...(options.live ? { live } : {}) };
}

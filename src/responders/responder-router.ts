import type { BotEvent, BotReply } from '../messages';
import type { BotResponder, HistoryMessage, ParsedCommand, ResponderContext, ResponderResult, ResponderStreamPart } from './bot-responder.interface';
import type { ConversationState } from './conversation-state';
import { textReply } from './reply.builders';
import { LiveSettings, LiveSink, showWhileWritten } from './live-answer';
import { DEFAULT_EVENT_KINDS, type MessageKind, type ResponderOptions } from './responder.decorator';
import { ResponderTimeoutError } from './turn-failed.error';

export interface RegisteredResponder {
  options: ResponderOptions;
  instance: BotResponder;
}

export interface RouterSettings {
  /** Default time a responder gets (RESPONDER_TIMEOUT_MS). */
  timeoutMs: number;
  /** Said when no responder takes a message; silence when unset. */
  fallbackText?: string;
  /** Put replies in the incoming message's thread (REPLY_IN_THREAD). */
  replyInThread?: boolean;
}

/** A streamed part as the router hands it on: text always as an object. */
export type StreamPart = Exclude<ResponderStreamPart, string>;

/** How a turn is run beyond the event and state: which path, what it knows, who listens to the stream. */
export interface RespondOptions {
  path?: ResponderContext['path'];
  /** The messages a coalesced turn answers, oldest first, ending with the event; default just the event. */
  batch?: BotEvent[];
  history?: HistoryMessage[];
  /** Aborts the responder (the agent path's client went away); its ctx.signal fires. */
  signal?: AbortSignal;
  /** Gets each part of a streamed answer as it comes (the agent path); the replies are still collected. */
  onPart?: (part: StreamPart) => void;
  /** The bot path: a streamed answer not finished in time is posted as it stands and filled in by edits (see live-answer). */
  live?: { settings: LiveSettings; sink: LiveSink };
}

export interface TurnOutcome {
  /** The responder that took the event, or 'fallback', or undefined for silence. */
  responder?: string;
  replies: BotReply[];
}

/** CometChat caps nothing here, but a turn that says this much is a bug, and reply scores assume fewer. */
export const MAX_REPLIES_PER_TURN = 50;

const COMMAND = /^\/([A-Za-z0-9][\w-]*)(?:\s+([\s\S]*))?$/;

export function parseCommand(text: string | undefined): ParsedCommand | undefined {
  const found = text ? COMMAND.exec(text.trim()) : null;
  if (!found) return undefined;
  const argText = (found[2] ?? '').trim();
  return { name: found[1].toLowerCase(), args: argText ? argText.split(/\s+/) : [], argText };
}

export function kindOf(event: BotEvent): MessageKind {
  return event.category === 'message' ? event.type : event.category;
}

/**
 * Picks the responder for an event and runs it: responders are tried from the highest priority down, the
 * first whose declared criteria and match() accept takes the event. Plain class (no Nest, no Redis) so the
 * test kit runs exactly what production runs.
 */
export class ResponderRouter {
  readonly responders: RegisteredResponder[];

  constructor(
    responders: RegisteredResponder[],
    private readonly settings: RouterSettings,
  ) {
    // Commands are matched case-insensitively: `/Order` and a declared `Order` both mean `order`.
    this.responders = ResponderRouter.order(responders).map(({ options, instance }) => ({
      instance,
      options: options.commands
        ? { ...options, commands: Object.fromEntries(Object.entries(options.commands).map(([c, d]) => [c.toLowerCase(), d])) }
        : options,
    }));
  }

  /** Sorts by priority (stable for equal priorities) and fails on duplicate names or missing methods. */
  static order(responders: RegisteredResponder[]): RegisteredResponder[] {
    const seen = new Set<string>();
    for (const { options, instance } of responders) {
      if (seen.has(options.name)) {
        throw new Error(`Two responders are named "${options.name}"; responder names must be unique`);
      }
      if (typeof instance.respond !== 'function' || (instance.match !== undefined && typeof instance.match !== 'function')) {
        throw new Error(`Responder "${options.name}" must implement respond() (and match(), if any, as a method)`);
      }
      seen.add(options.name);
    }
    return [...responders].sort((a, b) => (b.options.priority ?? 0) - (a.options.priority ?? 0));
  }

  /** Every declared command with its description, for /help. */
  commands(): Array<{ command: string; description: string; responder: string }> {
    return this.responders.flatMap(({ options }) =>
      Object.entries(options.commands ?? {}).map(([command, description]) => ({
        command,
        description,
        responder: options.name,
      })),
    );
  }

  select(event: BotEvent, command = parseCommand(event.text)): { chosen: RegisteredResponder; match?: RegExpExecArray } | undefined {
    for (const candidate of this.responders) {
      const match = accepts(candidate, event, command);
      if (match !== false) return { chosen: candidate, match: match === true ? undefined : match };
    }
    return undefined;
  }

  async respond(event: BotEvent, state: ConversationState, options: RespondOptions = {}): Promise<TurnOutcome> {
    const command = parseCommand(event.text);
    const selected = this.select(event, command);
    if (!selected) {
      // Another bot of this deployment is never answered by the fallback: two bots would talk to each other forever. Nor
      // is a delete or a reaction: only what someone wrote.
      return this.settings.fallbackText && !event.fromBot && (event.kind === 'message' || event.kind === 'edited')
        ? { responder: 'fallback', replies: this.finish(event, [textReply(this.settings.fallbackText)]) }
        : { replies: [] };
    }
    const { chosen, match } = selected;
    const timeoutMs = chosen.options.timeoutMs ?? this.settings.timeoutMs;
    const abort = new AbortController();
    const signal = options.signal ? AbortSignal.any([abort.signal, options.signal]) : abort.signal;
    const ctx: ResponderContext = {
      event,
      batch: options.batch ?? [event],
      command,
      match,
      state,
      signal,
      path: options.path ?? 'bot',
      ...(options.history ? { history: options.history } : {}),
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new ResponderTimeoutError(chosen.options.name, timeoutMs));
      }, timeoutMs);
      // The caller's abort (a /stop, a client gone) ends the turn at once, even for a responder that ignores its signal.
      options.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true });
      if (options.signal?.aborted) reject(options.signal.reason);
    });
    try {
      // The timeout covers a stream to its end, not only until respond() returns it.
      const live = options.live && { ...options.live, replyOf: (text: string) => this.finish(event, [textReply(text)])[0] };
      const run = Promise.resolve()
        .then(() => chosen.instance.respond(ctx))
        .then((result) => collect(result, signal, options.onPart, live));
      const replies = await Promise.race([run, timeout]);
      return { responder: chosen.options.name, replies: this.finish(event, replies) };
    } catch (error) {
      abort.abort(); // a stream still being read (its post or an edit failed) stops too
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private finish(event: BotEvent, replies: BotReply[]): BotReply[] {
    if (replies.length > MAX_REPLIES_PER_TURN) {
      throw new Error(`a turn may send at most ${MAX_REPLIES_PER_TURN} replies, got ${replies.length}`);
    }
    if (!this.settings.replyInThread || !event.parentId) return replies;
    return replies.map((reply) => (reply.parentId === undefined ? { ...reply, parentId: event.parentId } : reply));
  }
}

function isStream(result: ResponderResult): result is AsyncIterable<ResponderStreamPart> {
  return typeof result === 'object' && result !== null && Symbol.asyncIterator in result;
}

/**
 * Replies from what respond() returned; a stream's text becomes one text reply, its parts go to onPart. With `live`, a
 * stream not finished in time is shown while it is written (its post and edits go to the sink).
 */
async function collect(
  result: ResponderResult,
  signal: AbortSignal,
  onPart?: (part: StreamPart) => void,
  live?: RespondOptions['live'] & { replyOf: (text: string) => BotReply },
): Promise<BotReply[]> {
  if (result === undefined || result === null) return [];
  if (!isStream(result)) return Array.isArray(result) ? result : [result];
  let text = '';
  const read = (async () => {
    for await (const raw of result) {
      signal.throwIfAborted();
      const part: StreamPart = typeof raw === 'string' ? { type: 'text', text: raw } : raw;
      if (part.type === 'text') text += part.text;
      onPart?.(part);
    }
    signal.throwIfAborted();
  })();
  if (live) {
    read.catch(() => undefined); // awaited below; meanwhile the post and edits may be under way
    await showWhileWritten(live.settings, live.sink, () => text.trimStart(), read, live.replyOf, signal);
  }
  await read;
  return text.trim() ? [textReply(text.trim())] : [];
}

/** false when the responder does not take the event; true, or the pattern's match, when it does. */
function accepts({ options, instance }: RegisteredResponder, event: BotEvent, command: ParsedCommand | undefined): boolean | RegExpExecArray {
  if (event.fromBot && !options.answersBots) return false;
  if (!(options.on ?? DEFAULT_EVENT_KINDS).includes(event.kind)) return false;
  if (options.chat && event.conversation.type !== options.chat) return false;
  if (options.mentioned && !event.mentionsBot) return false;
  if (options.kinds && !options.kinds.includes(kindOf(event))) return false;
  if (options.commands && !(command && Object.hasOwn(options.commands, command.name))) return false;
  let match: RegExpExecArray | null = null;
  if (options.pattern) {
    options.pattern.lastIndex = 0; // a /g or /y pattern keeps state between calls
    match = event.text === undefined ? null : options.pattern.exec(event.text);
    if (!match) return false;
  }
  if (instance.match && !instance.match(event, { command })) return false;
  return match ?? true;
}

import type { ContentPart, Message, RunAgentInput, UserMessage } from '@ag-ui/core';
import { RunAgentInputSchema } from '@ag-ui/core/schemas';
import type { Attachment, BotEvent, Conversation } from '../messages';
import type { HistoryMessage } from '../responders';

/** The sender of an agent-path message when forwardedProps does not name one. */
export const AG_UI_USER = 'ag-ui-user';

/** The body is not a RunAgentInput; `problems` name each field (`messages.0.role: …`). */
export class InvalidRunAgentInputError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid RunAgentInput: ${problems.join('; ')}`);
    this.name = 'InvalidRunAgentInputError';
  }
}

/** A valid RunAgentInput with nothing to answer: no user message with text or a linked file. */
export class NoUserMessageError extends Error {
  constructor() {
    super('RunAgentInput.messages holds no user message with text or a file to answer');
    this.name = 'NoUserMessageError';
  }
}

/** Parses a request body with @ag-ui/core's own schema; throws InvalidRunAgentInputError naming every bad field. */
export function parseRunAgentInput(body: unknown): RunAgentInput {
  const parsed = RunAgentInputSchema.safeParse(body);
  if (!parsed.success) {
    throw new InvalidRunAgentInputError(parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`));
  }
  return parsed.data;
}

/**
 * The agent path's state lives apart from the bot path's: a thread id may look like a user's UID. `bot`: the bot's UID
 * in a deployment of several, whose conversations are each one bot's (Conversation.bot); absent with one bot.
 */
export const agentConversation = (threadId: string, bot?: string): Conversation => withBot({ type: 'user', id: `ag-ui:${threadId}` }, bot);

const withBot = (conversation: Conversation, bot: string | undefined): Conversation => (bot === undefined ? conversation : { ...conversation, bot });

/** What a turn on the agent path gets: the event to answer and the thread before it. */
export interface AgentTurn {
  event: BotEvent;
  history: HistoryMessage[];
}

const KIND_OF_PART: Record<string, string> = {
  image: 'image',
  audio: 'audio',
  video: 'video',
  document: 'file',
};

/** Files the user linked (URL sources); inline data is not a URL a responder could fetch, so it is left out. */
function attachmentsOf(content: UserMessage['content']): Array<Attachment & { kind: string }> {
  if (typeof content === 'string') return [];
  return content.flatMap((part: ContentPart) => {
    const kind = KIND_OF_PART[part.type];
    const source = (part as { source?: { type: string; value: string; mimeType?: string } }).source;
    if (!kind || source?.type !== 'url') return [];
    return [{ kind, url: source.value, ...(source.mimeType ? { mimeType: source.mimeType } : {}) }];
  });
}

/** The text of a message; a multimodal one's text parts a line each (core's contentToText runs them together). */
function textOf(message: Message): string {
  const content = (message as { content?: UserMessage['content'] }).content;
  if (typeof content === 'string') return content.trim();
  if (!Array.isArray(content)) return '';
  return content
    .flatMap((part) => (part.type === 'text' ? [part.text.trim()] : []))
    .filter(Boolean)
    .join('\n');
}

/** The user who wrote, from `forwardedProps.user` ({uid, name?}) when the caller sends it, else AG_UI_USER. */
function senderOf(input: RunAgentInput, message: UserMessage): BotEvent['sender'] {
  const user = (input.forwardedProps as { user?: { uid?: unknown; name?: unknown } } | undefined)?.user;
  const uid = typeof user?.uid === 'string' && user.uid ? user.uid : AG_UI_USER;
  const name = typeof user?.name === 'string' ? user.name : message.name;
  return { uid, ...(name ? { name } : {}) };
}

/**
 * The turn a RunAgentInput asks for: its last user message as a BotEvent (a one-to-one conversation whose id is
 * the thread's), and the user and assistant messages before it, with text, as history. System, developer, tool
 * and reasoning messages are not history a responder reads. `conversationBot`: the bot's UID in a deployment of
 * several bots, where the conversation carries it (as the bot path's do); absent with one bot.
 */
export function turnOf(input: RunAgentInput, botUid: string, receivedAt = Date.now(), conversationBot?: string): AgentTurn {
  let at = input.messages.length - 1;
  while (at >= 0 && input.messages[at].role !== 'user') at--;
  if (at === -1) throw new NoUserMessageError();
  const message = input.messages[at] as UserMessage;
  const text = textOf(message);
  const files = attachmentsOf(message.content);
  if (!text && files.length === 0) throw new NoUserMessageError();

  const event: BotEvent = {
    id: message.id,
    kind: 'message',
    bot: botUid,
    sender: senderOf(input, message),
    conversation: withBot({ type: 'user', id: input.threadId }, conversationBot),
    category: 'message',
    type: text ? 'text' : files[0].kind,
    ...(text ? { text } : {}),
    // A one-to-one chat with the agent: nobody @-mentions it, as in a one-to-one chat with the bot.
    mentionsBot: false,
    attachments: files.map(({ kind: _kind, ...attachment }) => attachment),
    ...(message.metadata ? { metadata: message.metadata } : {}),
    receivedAt,
    raw: input,
  };
  const history = input.messages.slice(0, at).flatMap((earlier): HistoryMessage[] => {
    if (earlier.role !== 'user' && earlier.role !== 'assistant') return [];
    const said = textOf(earlier);
    if (!said) return [];
    const name = (earlier as { name?: string }).name;
    return [{ role: earlier.role, text: said, ...(name ? { sender: name } : {}) }];
  });
  return { event, history };
}

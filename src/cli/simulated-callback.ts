import { buildSandboxCallback } from '../sandbox/sandbox-callback.factory';

/** What a simulated message is made of. */
export interface SimulatedMessage {
  id: string;
  text: string;
  botUid: string;
  sender: string;
  /** A group GUID: the message goes to that group instead of one-to-one to the bot. */
  group?: string;
  /** Prefix `<@uid:BOT_UID>`, which also lists the bot in `data.mentions`, as a CometChat client does. */
  mention?: boolean;
  appId?: string;
  region?: string;
  now?: number;
}

let lastId = 0;

/**
 * A fresh message id: CometChat ids are increasing integers and the service orders a conversation's turns by
 * them, so these are the current time in ms (13 digits, above any real id seen so far), strictly increasing.
 */
export function freshMessageId(now = Date.now()): string {
  lastId = Math.max(now, lastId + 1);
  return String(lastId);
}

/**
 * A bot callback shaped like CometChat's (cometchat-api.md §1.6 and §1.7; test/fixtures), built by the same
 * factory as the sandbox chat page's, so the two never drift apart; only the origin says it came from here.
 */
export function simulatedCallback(message: SimulatedMessage): Record<string, unknown> {
  const callback = buildSandboxCallback(
    {
      id: message.id,
      sender: { uid: message.sender },
      conversation: message.group ? { type: 'group', id: message.group } : { type: 'user' },
      text: message.mention ? `<@uid:${message.botUid}> ${message.text}` : message.text,
      sentAt: Math.floor((message.now ?? Date.now()) / 1000),
    },
    { uid: message.botUid, appId: message.appId ?? 'cli-simulate', region: message.region ?? 'us' },
  );
  const data = callback.data as Record<string, unknown>;
  return {
    ...callback,
    data: { ...data, muid: `cli-${message.id}` },
    origin: { platform: 'cli', language: 'nodejs', resource: 'cometchat-bot-cli' },
  };
}

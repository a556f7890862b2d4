import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type FixtureName =
  | 'user-text'
  | 'group-mention'
  | 'group-thread-reply'
  | 'group-slash-command'
  | 'user-image'
  | 'user-custom-location'
  | 'bot-own-message'
  | 'group-action-joined';

// CometChat message ids are increasing integers and the service orders a conversation's turns by them, so
// fresh ids here increase too (and stay unique across test files run one after the other).
let lastId = (Date.now() % 1e9) * 1000;

/** A fresh copy of a callback fixture; with `uniqueId`, a new message id, greater than every earlier one. */
export function fixture(name: FixtureName, { uniqueId = true } = {}): any {
  const callback = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', `${name}.json`), 'utf8'));
  if (uniqueId) callback.data.id = String(++lastId);
  return callback;
}

/** A one-to-one text from `sender` (the user-text fixture, fresh id), with any other fields of `data` given. */
export function directText(text: string, sender: string, extra: Record<string, unknown> = {}): any {
  const callback = fixture('user-text');
  callback.data.sender = sender;
  callback.data.data.entities.sender.entity.uid = sender;
  callback.data.data.text = text;
  Object.assign(callback.data, extra);
  return callback;
}

/**
 * An app webhook's envelope (cometchat-api.md §7): `{trigger, data, appId, region, webhook}`, for the test app
 * (`e2e-app`). Message events carry `data.message`; reactions `data.reaction` (and the message reacted to, when given).
 */
export function appEvent(trigger: string, data: Record<string, unknown>): any {
  return { trigger, data, appId: 'e2e-app', region: 'us', webhook: 'bot-events' };
}

/** `message_edited` of a callback's message: its text now `text`, edited now. */
export function messageEdited(callback: any, text: string): any {
  const now = Math.floor(Date.now() / 1000);
  const message = { ...callback.data, data: { ...callback.data.data, text }, editedAt: now, editedBy: callback.data.sender, updatedAt: now };
  return appEvent('message_edited', { message });
}

/** `message_deleted` of a callback's message. */
export function messageDeleted(callback: any): any {
  const now = Math.floor(Date.now() / 1000);
  return appEvent('message_deleted', { message: { ...callback.data, deletedAt: now, deletedBy: callback.data.sender, updatedAt: now } });
}

/** `message_reaction_added` / `_removed` by `uid` on a message (`message`: the message object, when sent along). */
export function reaction(
  added: boolean,
  messageId: string,
  emoji: string,
  uid: string,
  message?: Record<string, unknown>,
  reactedAt = Math.floor(Date.now() / 1000),
): any {
  const data = {
    reaction: { id: `${messageId}-${uid}-${emoji}`, messageId, reaction: emoji, uid, reactedAt, reactedBy: { uid, name: uid } },
    ...(message ? { message } : {}),
  };
  return appEvent(added ? 'message_reaction_added' : 'message_reaction_removed', data);
}

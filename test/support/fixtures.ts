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

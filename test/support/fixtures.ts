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

let counter = 0;

/** A fresh copy of a callback fixture; with `uniqueId`, a message id no other test uses. */
export function fixture(name: FixtureName, { uniqueId = true } = {}): any {
  const callback = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', `${name}.json`), 'utf8'));
  if (uniqueId) callback.data.id = `${Date.now() % 1e9}${process.pid % 1000}${++counter}`;
  return callback;
}

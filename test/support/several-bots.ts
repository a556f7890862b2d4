import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** testEnv's single-bot variables, unset (an empty variable is unset): with BOTS_FILE the bots are the file's. */
export const NO_SINGLE_BOT = {
  BOT_UID: '',
  WEBHOOK_USERNAME: '',
  WEBHOOK_PASSWORD: '',
  COMETCHAT_APP_ID: '',
  COMETCHAT_REGION: '',
  COMETCHAT_API_KEY: '',
  COMETCHAT_API_URL: '',
};

/** A BOTS_FILE in a directory of its own; `remove()` when done. */
export function writeBotsFile(yaml: string): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bots-file-'));
  const path = join(dir, 'bots.yaml');
  writeFileSync(path, yaml);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const basicAuthOf = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

let nextId = 7_000_000 + Math.floor(Math.random() * 1_000_000) * 100;

/** A text callback for `bot`: one-to-one from `sender`, or in `group`. */
export function botCallback(
  bot: string | undefined,
  text: string,
  { sender = 'ana', group, id = String(++nextId) }: { sender?: string; group?: string; id?: string } = {},
) {
  return {
    trigger: 'after_message',
    ...(bot !== undefined ? { bot } : {}),
    appId: 'e2e',
    data: {
      id,
      sender,
      receiver: group ?? bot ?? 'support-bot',
      receiverType: group ? 'group' : 'user',
      category: 'message',
      type: 'text',
      data: { text },
    },
  };
}

/** A fresh message id, for a message sent to two bots. */
export const nextMessageId = () => String(++nextId);

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** testEnv's single-bot variables, unset: with BOTS_FILE the bots are the file's. */
export const NO_SINGLE_BOT = {
  BOT_UID: '',
  WEBHOOK_USERNAME: '',
  WEBHOOK_PASSWORD: '',
  COMETCHAT_APP_ID: '',
  COMETCHAT_REGION: '',
  COMETCHAT_API_KEY: '',
  COMETCHAT_API_URL: '',
};

/** A BOTS_FILE (YAML) in a directory of its own; `remove()` deletes both. */
export function writeBotsFile(yaml: string): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bots-file-'));
  const path = join(dir, 'bots.yaml');
  writeFileSync(path, yaml);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

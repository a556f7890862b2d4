/**
 * What a bot's settings may be, wherever they are written: the single-bot variables (env.validation.ts) and each bot
 * of BOTS_FILE (bots-file.dto.ts) follow the same rules. It imports nothing of ours, so both can import it.
 */

export const COMETCHAT_REGIONS = ['us', 'eu', 'in'] as const;
export type CometChatRegion = (typeof COMETCHAT_REGIONS)[number];
export const GROUP_CHAT_SETTINGS = ['mentionedMessages', 'slashedMessages', 'allMessages', 'none'] as const;
export type GroupChatSetting = (typeof GROUP_CHAT_SETTINGS)[number];
export const COMETCHAT_MODES = ['live', 'sandbox'] as const;
export type CometChatMode = (typeof COMETCHAT_MODES)[number];
/** docker-compose's development-only webhook password: fine for the sandbox, never for a live bot. */
export const SANDBOX_WEBHOOK_PASSWORD = 'sandbox-dev-only';

/** CometChat's longest UID. */
export const MAX_UID_LENGTH = 50;
/** CometChat stores a bot's Basic Auth password of at most 50 characters: a longer one could never match. */
export const MAX_WEBHOOK_PASSWORD_LENGTH = 50;
export const MAX_WEBHOOK_USERNAME_LENGTH = 50;
/** A Basic Auth username cannot hold its separator. */
export const WEBHOOK_USERNAME_PATTERN = /^[^:]*$/;
/** An AG-UI Bearer token: at least 16 printable characters, no spaces. */
export const AGENT_TOKEN_PATTERN = /^[\x21-\x7e]{16,}$/;
export const HTTP_URL_PATTERN = /^https?:\/\/[^\s]+$/;
/** Sends a minute, as COMETCHAT_MAX_REQUESTS_PER_MINUTE allows them. */
export const MAX_SENDS_PER_MINUTE = 1_000_000;

/** For class-transformer: an integer written as text (the environment's values, a substituted `${VAR}`) as a number. */
export const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value);

/** For class-transformer: CometChat forces UIDs to lowercase, so a mixed-case value could never match a sender. */
export const toUid = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

/** An app's REST base URL: the override if any, else CometChat's for its ID and region; no trailing slash. */
export function cometchatApiUrl(app: { appId: string; region: string; apiUrl?: string }): string {
  return (app.apiUrl ?? `https://${app.appId}.api-${app.region}.cometchat.io/v3`).replace(/\/+$/, '');
}

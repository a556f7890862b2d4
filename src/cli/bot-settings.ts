import type { GroupChatSetting } from '../config/env.validation';
import type { BotRecord } from '../cometchat/bots-api.client';

/** What this service needs the bot in CometChat to be. */
export interface BotSettings {
  webhookURL: string;
  groupChatSetting: string;
  enabled: boolean;
  useBasicAuth: boolean;
  username: string | undefined;
  password: string | undefined;
}

export type BotField = keyof BotSettings;
/** The order fields are compared and printed in. */
export const BOT_FIELDS: readonly BotField[] = ['webhookURL', 'groupChatSetting', 'enabled', 'useBasicAuth', 'username', 'password'];

export interface FieldChange {
  field: BotField;
  from: BotSettings[BotField];
  to: BotSettings[BotField];
}

export function desiredSettings(config: { webhookURL: string; groupChatSetting: GroupChatSetting; username: string; password: string }): BotSettings {
  return { ...config, enabled: true, useBasicAuth: true };
}

/**
 * A bot's settings with CometChat's omissions filled in: responses leave out every property that is empty
 * or false, so a missing `enabled` is false and a missing `groupChatSetting` is the default `none`.
 */
export function currentSettings(bot: BotRecord): BotSettings {
  return {
    webhookURL: typeof bot.webhookURL === 'string' ? bot.webhookURL : '',
    groupChatSetting: typeof bot.groupChatSetting === 'string' ? bot.groupChatSetting : 'none',
    enabled: bot.enabled === true,
    useBasicAuth: bot.useBasicAuth === true,
    username: typeof bot.username === 'string' && bot.username !== '' ? bot.username : undefined,
    password: typeof bot.password === 'string' && bot.password !== '' ? bot.password : undefined,
  };
}

/** The fields whose value differs, in BOT_FIELDS order. */
export function diffSettings(current: BotSettings, desired: BotSettings): FieldChange[] {
  return BOT_FIELDS.filter((field) => current[field] !== desired[field]).map((field) => ({
    field,
    from: current[field],
    to: desired[field],
  }));
}

/** The body of a PUT: only the changed fields. */
export function changedFields(changes: FieldChange[]): Partial<BotSettings> {
  return Object.fromEntries(changes.map(({ field, to }) => [field, to]));
}

const show = (value: BotSettings[BotField]) => (value === undefined || value === '' ? '(unset)' : String(value));

/** One printable line per change; the password is never shown, only whether it is set or changes. */
export function describeChange({ field, from, to }: FieldChange, creating = false): string {
  if (field === 'password') {
    if (creating) return 'password: (set, not shown)';
    return from === undefined ? 'password: (unset) → (set, not shown)' : 'password: changed (not shown)';
  }
  return creating ? `${field}: ${show(to)}` : `${field}: ${show(from)} → ${show(to)}`;
}

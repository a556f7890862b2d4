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

/** One setting that differs between what CometChat has and what the service needs (a bot's, an app webhook's). */
export interface SettingChange<S, F extends keyof S = keyof S> {
  field: F;
  from: S[F];
  to: S[F];
}
export type FieldChange = SettingChange<BotSettings, BotField>;

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

/** The fields whose value differs, in `fields` order. */
export function diffFields<S>(fields: readonly (keyof S & string)[], current: S, desired: S): SettingChange<S, keyof S & string>[] {
  return fields.filter((field) => current[field] !== desired[field]).map((field) => ({ field, from: current[field], to: desired[field] }));
}

/** The bot's fields whose value differs, in BOT_FIELDS order. */
export const diffSettings = (current: BotSettings, desired: BotSettings): FieldChange[] => diffFields(BOT_FIELDS, current, desired);

/** The body of a PUT: only the changed fields. */
export function changedFields(changes: FieldChange[]): Partial<BotSettings> {
  return Object.fromEntries(changes.map(({ field, to }) => [field, to]));
}

const show = (value: string | boolean | undefined) => (value === undefined || value === '' ? '(unset)' : String(value));

/** One printable line per change; the password is never shown, only whether it is set or changes. */
export function describeChange<S extends Record<keyof S, string | boolean | undefined>>(
  { field, from, to }: SettingChange<S, keyof S & string>,
  creating = false,
): string {
  if (field === 'password') {
    if (creating) return 'password: (set, not shown)';
    return from === undefined ? 'password: (unset) → (set, not shown)' : 'password: changed (not shown)';
  }
  return creating ? `${field}: ${show(to)}` : `${field}: ${show(from)} → ${show(to)}`;
}

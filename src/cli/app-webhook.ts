import { APP_EVENT_TRIGGERS, type AppEventTrigger } from '../messages/cometchat-callback';
import { describeChange, diffFields, type SettingChange } from './bot-settings';
import { CALLBACK_PATH } from './callback-url';
import { UsageError } from './exit-codes';

/** Where the service takes CometChat's app webhooks (edits, deletes, reactions). */
export const EVENTS_PATH = `${CALLBACK_PATH}/events`;

/** Why each trigger the service takes is ticked: what the service does with it (docs/app-webhooks.md). */
const WHY: Record<AppEventTrigger, string> = {
  message_edited: 'an edited question is answered again (ANSWER_EDITED_MESSAGES)',
  message_deleted: "a deleted question takes the bot's answer with it (DELETE_ANSWERS_OF_DELETED_MESSAGES)",
  message_reaction_added: "a 👍 or 👎 on the bot's answer counts as feedback (COUNT_FEEDBACK)",
  message_reaction_removed: 'a removed 👍 or 👎 is taken back',
};

/** The triggers to tick, and why each: the service's own (APP_EVENT_TRIGGERS). */
export const EVENTS_TRIGGERS = (Object.keys(APP_EVENT_TRIGGERS) as AppEventTrigger[]).map((id) => ({ id, why: WHY[id] }));
export const EVENTS_TRIGGER_IDS: readonly string[] = EVENTS_TRIGGERS.map((trigger) => trigger.id);

/** The id `register` gives the app webhook it creates (CometChat: at most 50 characters, no spaces). */
export const APP_WEBHOOK_ID = 'bot_service_events';
export const APP_WEBHOOK_NAME = 'cometchat-bot-service events';

/**
 * The events route's public URL from the --url register and doctor take: the service's base URL (bare or
 * prefixed), its callback URL, or a bot's own callback URL; the events path replaces the callback path.
 */
export function eventsUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url ${raw} is not a URL`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  const at = path.lastIndexOf(CALLBACK_PATH);
  // What follows the callback path is a bot's uid (one segment) or the events path already.
  const base =
    at >= 0 &&
    !path
      .slice(at + CALLBACK_PATH.length)
      .slice(1)
      .includes('/')
      ? path.slice(0, at)
      : path;
  url.pathname = `${base}${EVENTS_PATH}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** What this service needs the app webhook in CometChat to be. */
export interface AppWebhookSettings {
  webhookURL: string;
  enabled: boolean;
  useBasicAuth: boolean;
  username: string | undefined;
  password: string | undefined;
  retryOnFailure: boolean;
}

export type AppWebhookField = keyof AppWebhookSettings;
/** The order fields are compared and printed in. */
export const APP_WEBHOOK_FIELDS: readonly AppWebhookField[] = ['webhookURL', 'enabled', 'useBasicAuth', 'username', 'password', 'retryOnFailure'];

export type AppWebhookChange = SettingChange<AppWebhookSettings>;

/** Basic Auth is the only gate (no request signing exists); retries are deduplicated by the route. */
export function desiredAppWebhook(config: { webhookURL: string; username: string; password: string }): AppWebhookSettings {
  return { ...config, enabled: true, useBasicAuth: true, retryOnFailure: true };
}

/**
 * A webhook's settings from a Management API answer. INFERRED: read like the Bots API's answers (cometchat-api.md
 * §5), where a property that is empty or false is left out; the Management API documents only `id`, `name`,
 * `webhookURL` and `enabled` in its answers. Should it leave out fields that are set (the password, say), a run
 * would send them again each time: harmless, and printed.
 */
export function currentAppWebhook(record: Record<string, unknown>): AppWebhookSettings {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    webhookURL: text(record.webhookURL) ?? '',
    enabled: record.enabled === true,
    useBasicAuth: record.useBasicAuth === true,
    username: text(record.username),
    password: text(record.password),
    retryOnFailure: record.retryOnFailure === true,
  };
}

export const diffAppWebhook = (current: AppWebhookSettings, desired: AppWebhookSettings): AppWebhookChange[] =>
  diffFields(APP_WEBHOOK_FIELDS, current, desired);

/** One printable line per change, as the bot's (the password never shown). */
export const describeAppWebhookChange = (change: AppWebhookChange, creating = false): string => describeChange(change, creating);

/** A trigger the events route answers `ignored` (not one of EVENTS_TRIGGERS): what doctor posts. */
export const IGNORED_TRIGGER = 'message_delivery_receipt';

/**
 * A receipt (a trigger the route ignores) for doctor to post: it proves the route, its credentials and its answer
 * without storing anything. Shaped as CometChat's `message_delivery_receipt` (cometchat-api.md §7).
 */
export function ignoredEnvelope(app: { appId?: string; region?: string }): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    trigger: IGNORED_TRIGGER,
    data: {
      receiver: 'doctor',
      receiverType: 'user',
      type: 'receipts',
      sender: 'doctor',
      messageSender: 'doctor',
      body: { action: 'delivered', messageId: '0', user: { uid: 'doctor' }, timestamp: now },
    },
    appId: app.appId ?? 'doctor',
    region: app.region ?? 'us',
    webhook: 'doctor',
  };
}

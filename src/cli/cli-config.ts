import { plainToInstance } from 'class-transformer';
import { cometchatApiUrl as appApiUrl, GROUP_CHAT_SETTINGS } from '../config/bot-rules';
import { applyBotsFile, BotDefinition, botsOf, loadBotsFile, SINGLE_BOT_VARIABLES } from '../config/bots-file';
import { ConfigValidationError, EnvironmentVariables, resolveDefaults, validateEnv } from '../config/env.validation';
import { UsageError } from './exit-codes';
import { MANAGEMENT_API_URL } from './management-api.client';

export type EnvKey = keyof EnvironmentVariables;
type RawEnv = Record<string, string | undefined>;

const names = (problem: string, key: string) => problem === key || problem.startsWith(`${key} `) || problem.startsWith(`${key}:`);

/**
 * The variables one command needs, validated by the service's own rules (validateEnv), so a command never
 * demands settings it does not use (`failed list` runs without CometChat credentials). Throws a
 * ConfigValidationError naming only the needed variables that are wrong.
 */
export function readEnv<K extends EnvKey>(keys: readonly K[], raw: RawEnv = process.env): Pick<EnvironmentVariables, K> {
  try {
    return validateEnv(raw);
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    // validateEnv words every problem as "<VARIABLE> …", which is what lets us keep only ours.
    const ours = error.problems.filter((problem) => keys.some((key) => names(problem, key)));
    if (ours.length > 0) throw new ConfigValidationError(ours);
    const input = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== ''));
    const env = plainToInstance(EnvironmentVariables, input, { exposeDefaultValues: true });
    resolveDefaults(env);
    withBotsFile(env, input);
    return env;
  }
}

/**
 * BOTS_FILE's bots with an environment read despite problems that are not the command's: through the service's own
 * loader, as validateEnv reads them (its default group setting included), and only when the file itself is sound.
 */
function withBotsFile(env: EnvironmentVariables, input: Record<string, unknown>): void {
  if (typeof env.BOTS_FILE !== 'string') return;
  const groupChatSetting = (GROUP_CHAT_SETTINGS as readonly unknown[]).includes(env.GROUP_CHAT_SETTING)
    ? env.GROUP_CHAT_SETTING
    : 'mentionedMessages';
  const file = loadBotsFile(env.BOTS_FILE, { environment: input, groupChatSetting });
  if (file.problems.length === 0) applyBotsFile(env, file);
}

/** Whether the bots come from BOTS_FILE (set and not empty, as validateEnv reads it) rather than BOT_UID and the rest. */
export const usesBotsFile = (raw: RawEnv = process.env): boolean => Boolean(raw.BOTS_FILE);

/**
 * The variables a command needs and the bots the service would serve, read as the service reads them: BOTS_FILE's
 * (problems in it, or single-bot variables set beside it, are the command's), else the one bot of BOT_UID and the rest.
 */
export function readBots<K extends EnvKey>(
  keys: readonly K[],
  raw: RawEnv = process.env,
): { env: Pick<EnvironmentVariables, K>; bots: BotDefinition[] } {
  const env = readEnv([...keys, 'BOTS_FILE', ...(usesBotsFile(raw) ? SINGLE_BOT_VARIABLES : [])], raw);
  return { env, bots: botsOf(env as EnvironmentVariables) };
}

/** The whole configuration the service would boot with, or every problem in it. */
export function readFullEnv(raw: RawEnv = process.env): EnvironmentVariables {
  return validateEnv(raw);
}

export const COMETCHAT_CREDENTIALS = ['COMETCHAT_APP_ID', 'COMETCHAT_REGION', 'COMETCHAT_API_KEY'] as const;

/** The CometChat credentials that are not set (as in a sandbox setup, where the service needs none). */
export function missingCredentials(raw: RawEnv = process.env): string[] {
  return COMETCHAT_CREDENTIALS.filter((key) => !raw[key]?.trim());
}

/**
 * Says plainly that CometChat credentials are absent, because the schema's "X is required" does not tell a
 * newcomer (who may be running without a CometChat account) why a CometChat command needs them.
 */
export function missingCredentialsMessage(missing: string[]): string {
  return `CometChat credentials are missing: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set`;
}

export const CREDENTIALS_FIX =
  'set COMETCHAT_APP_ID, COMETCHAT_REGION and COMETCHAT_API_KEY (a full-access REST API key, Dashboard → API & Auth Keys) in the environment or .env';

/** What the CLI says of a BOTS_FILE bot whose app has no API key (as in sandbox mode), and what to do. */
export const fileCredentialsMissing = (bot: BotDefinition) =>
  `CometChat credentials are missing: app ${bot.app.name} of BOTS_FILE (bot ${bot.uid}) has no apiKey`;
export const FILE_CREDENTIALS_FIX =
  'give the app an apiKey in BOTS_FILE (a full-access REST API key, Dashboard → API & Auth Keys; "${VAR}" reads it from the environment)';

/** The REST base URL the service uses (its rule: cometchatApiUrl in src/config/bot-rules.ts). */
export function cometchatApiUrl(env: Pick<EnvironmentVariables, 'COMETCHAT_API_URL' | 'COMETCHAT_APP_ID' | 'COMETCHAT_REGION'>): string {
  return appApiUrl({ appId: env.COMETCHAT_APP_ID, region: env.COMETCHAT_REGION, apiUrl: env.COMETCHAT_API_URL });
}

export { printableRedisUrl } from '../config/app.config';

/** What a command needs to reach the service's Redis, on any topology, and its keys. */
export const REDIS_KEYS = [
  'REDIS_URL',
  'QUEUE_PREFIX',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
  'REDIS_CLUSTER_NODES',
  'REDIS_USERNAME',
  'REDIS_PASSWORD',
] as const;

/** The Basic Auth of the events route (POST /webhooks/cometchat/events), as webhookConfig.events in app.config.ts reads it. */
export interface EventsCredentials {
  username: string;
  password: string;
  /** Which variable the password comes from, for messages (never the value). */
  passwordSource: string;
}

/** The events route's credentials: EVENTS_WEBHOOK_* when set, else WEBHOOK_* (with BOTS_FILE: its first bot's). */
export function eventsCredentials(
  env: Pick<EnvironmentVariables, 'EVENTS_WEBHOOK_USERNAME' | 'EVENTS_WEBHOOK_PASSWORD' | 'WEBHOOK_USERNAME' | 'WEBHOOK_PASSWORD'>,
): EventsCredentials {
  return {
    username: env.EVENTS_WEBHOOK_USERNAME ?? env.WEBHOOK_USERNAME,
    password: env.EVENTS_WEBHOOK_PASSWORD ?? env.WEBHOOK_PASSWORD,
    passwordSource: env.EVENTS_WEBHOOK_PASSWORD !== undefined ? 'EVENTS_WEBHOOK_PASSWORD' : 'WEBHOOK_PASSWORD',
  };
}

export const EVENTS_CREDENTIAL_KEYS = ['EVENTS_WEBHOOK_USERNAME', 'EVENTS_WEBHOOK_PASSWORD', 'WEBHOOK_USERNAME', 'WEBHOOK_PASSWORD'] as const;

/** Where and how `register` reaches CometChat's Management API (account-level `key` and `secret`). */
export interface ManagementSettings {
  url: string;
  key: string;
  secret: string;
}

/**
 * The Management API credentials: the options, else COMETCHAT_MANAGEMENT_KEY / _SECRET / _API_URL. Read by the CLI
 * alone (the service never calls that API), so they are not the service's variables. Neither set: undefined (the
 * app webhook is printed for the dashboard); one without the other is a usage error.
 */
export function managementSettings(
  options: { managementKey?: string; managementSecret?: string; managementUrl?: string },
  raw: RawEnv = process.env,
): ManagementSettings | undefined {
  const key = options.managementKey?.trim() || raw.COMETCHAT_MANAGEMENT_KEY?.trim();
  const secret = options.managementSecret?.trim() || raw.COMETCHAT_MANAGEMENT_SECRET?.trim();
  if (!key && !secret) return undefined;
  if (!key || !secret) {
    throw new UsageError(
      `the Management API needs both a key and a secret: ${key ? 'COMETCHAT_MANAGEMENT_SECRET (or --management-secret)' : 'COMETCHAT_MANAGEMENT_KEY (or --management-key)'} is not set`,
    );
  }
  const url = (options.managementUrl?.trim() || raw.COMETCHAT_MANAGEMENT_API_URL?.trim() || MANAGEMENT_API_URL).replace(/\/+$/, '');
  try {
    new URL(url);
  } catch {
    throw new UsageError(`the Management API URL ${url} is not a URL`);
  }
  return { url, key, secret };
}

import { ConfigType, registerAs } from '@nestjs/config';
import { EnvironmentVariables, validateEnv } from './env.validation';

// Each namespace reads the validated environment, so defaults and types are decided in one place.
const namespace = <T extends object>(name: string, pick: (env: EnvironmentVariables) => T) =>
  registerAs(name, () => pick(validateEnv(process.env)));

export const appConfig = namespace('app', (env) => ({
  port: env.PORT,
  host: env.HOST,
  role: env.APP_ROLE,
  logLevel: env.LOG_LEVEL,
  shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
}));

export const redisConfig = namespace('redis', (env) => ({
  url: env.REDIS_URL,
  prefix: env.QUEUE_PREFIX,
}));

export const botConfig = namespace('bot', (env) => ({ uid: env.BOT_UID }));

export const webhookConfig = namespace('webhook', (env) => ({
  username: env.WEBHOOK_USERNAME,
  password: env.WEBHOOK_PASSWORD,
  bodyLimit: env.WEBHOOK_BODY_LIMIT,
  enqueueTimeoutMs: env.WEBHOOK_ENQUEUE_TIMEOUT_MS,
}));

export const cometchatConfig = namespace('cometchat', (env) => ({
  mode: env.COMETCHAT_MODE,
  appId: env.COMETCHAT_APP_ID,
  region: env.COMETCHAT_REGION,
  apiKey: env.COMETCHAT_API_KEY,
  apiUrl: (env.COMETCHAT_API_URL ?? `https://${env.COMETCHAT_APP_ID}.api-${env.COMETCHAT_REGION}.cometchat.io/v3`).replace(
    /\/+$/,
    '',
  ),
  timeoutMs: env.COMETCHAT_TIMEOUT_MS,
}));

export const queueConfig = namespace('queue', (env) => ({
  eventsConcurrency: env.EVENTS_CONCURRENCY,
  repliesConcurrency: env.REPLIES_CONCURRENCY,
  lockMs: env.JOB_LOCK_MS,
  events: { attempts: env.EVENTS_ATTEMPTS, backoffMs: env.RETRY_BACKOFF_MS },
  replies: { attempts: env.REPLIES_ATTEMPTS, backoffMs: env.RETRY_BACKOFF_MS },
  /** Sends to CometChat per minute across every process (COMETCHAT_MAX_REQUESTS_PER_MINUTE); unset: no cap. */
  maxSendsPerMinute: env.COMETCHAT_MAX_REQUESTS_PER_MINUTE,
}));

export const respondersConfig = namespace('responders', (env) => ({
  groupChatSetting: env.GROUP_CHAT_SETTING,
  timeoutMs: env.RESPONDER_TIMEOUT_MS,
  echoEnabled: env.ECHO_ENABLED,
  replyInThread: env.REPLY_IN_THREAD,
  fallbackText: env.FALLBACK_TEXT,
  apologyText: env.APOLOGY_TEXT,
  stateTtlSeconds: env.CONVERSATION_STATE_TTL_SECONDS,
  faqFile: env.FAQ_FILE,
}));

export const sandboxConfig = namespace('sandbox', (env) => ({
  /** Replies go to the sandbox outbox instead of CometChat. */
  enabled: env.COMETCHAT_MODE === 'sandbox',
  outboxSize: env.SANDBOX_OUTBOX_SIZE,
}));

/** The queue dashboard's Basic Auth; unset (both, validation sees to it) means no dashboard. */
export const adminConfig = namespace('admin', (env) => ({
  username: env.ADMIN_USERNAME,
  password: env.ADMIN_PASSWORD,
}));

export type AppConfig = ConfigType<typeof appConfig>;
export type RedisConfig = ConfigType<typeof redisConfig>;
export type BotConfig = ConfigType<typeof botConfig>;
export type WebhookConfig = ConfigType<typeof webhookConfig>;
export type CometChatConfig = ConfigType<typeof cometchatConfig>;
export type QueueConfig = ConfigType<typeof queueConfig>;
export type RespondersConfig = ConfigType<typeof respondersConfig>;
export type SandboxConfig = ConfigType<typeof sandboxConfig>;
export type AdminConfig = ConfigType<typeof adminConfig>;

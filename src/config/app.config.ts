import { ConfigObject, ConfigType, registerAs } from '@nestjs/config';
import { tracesWanted } from '../common/traces-wanted';
import { cometchatApiUrl } from './bot-rules';
import { botsOf } from './bots-file';
import { EnvironmentVariables, HostPort, parseHostList } from './env.validation';

/**
 * A factory of the app's validated environment, for registerAs: @nestjs/config calls a namespace's factory with no
 * argument (its own loader, ConfigModule.forRoot({ load }), injects nothing), so ConfigModule.forRoot(env) here
 * provides each namespace itself with `inject: [the validated env]`, and Nest calls it with that app's environment.
 * Nothing reads process.env: two apps in one process never see each other's settings.
 */
function fromEnv<T extends ConfigObject>(pick: (env: EnvironmentVariables) => T): (env?: EnvironmentVariables) => T {
  return (env) => {
    if (!env) throw new Error('A configuration namespace is provided by ConfigModule.forRoot(env), with the validated environment');
    return pick(env);
  };
}

const UNBOUNDED_ATTEMPTS = 1_000_000;

export const appConfig = registerAs(
  'app',
  fromEnv((env) => ({
    port: env.PORT,
    host: env.HOST,
    role: env.APP_ROLE,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
  })),
);

/** Where Redis is: one node by URL, a master found through Sentinel, or a Cluster. */
export type RedisTopology =
  | { kind: 'single'; url: string }
  | { kind: 'sentinel'; sentinels: HostPort[]; name: string; username?: string; password?: string }
  | { kind: 'cluster'; nodes: HostPort[]; username?: string; password?: string };

export function redisTopology(
  env: Pick<
    EnvironmentVariables,
    'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME' | 'REDIS_CLUSTER_NODES' | 'REDIS_USERNAME' | 'REDIS_PASSWORD'
  >,
): RedisTopology {
  const credentials = { username: env.REDIS_USERNAME, password: env.REDIS_PASSWORD };
  if (env.REDIS_SENTINELS) {
    return { kind: 'sentinel', sentinels: parseHostList(env.REDIS_SENTINELS), name: env.REDIS_SENTINEL_NAME!, ...credentials };
  }
  if (env.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: parseHostList(env.REDIS_CLUSTER_NODES), ...credentials };
  return { kind: 'single', url: env.REDIS_URL };
}

/** The topology in words, for logs and the CLI: no password. */
export function describeTopology(topology: RedisTopology): string {
  const hosts = (nodes: HostPort[]) => nodes.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`).join(',');
  if (topology.kind === 'sentinel') return `Sentinel ${hosts(topology.sentinels)} (master ${topology.name})`;
  if (topology.kind === 'cluster') return `Cluster ${hosts(topology.nodes)}`;
  return printableRedisUrl(topology.url);
}

/** A Redis URL fit to print: a password in it is replaced. */
export function printableRedisUrl(url: string): string {
  return url.replace(
    /^(rediss?:\/\/)([^@/]*)@/,
    (_, scheme: string, auth: string) => `${scheme}${auth.includes(':') ? `${auth.split(':')[0]}:****` : '****'}@`,
  );
}

export const redisConfig = registerAs(
  'redis',
  fromEnv((env) => ({
    topology: redisTopology(env),
    prefix: env.QUEUE_PREFIX,
    waitReplicas: env.REDIS_WAIT_REPLICAS,
  })),
);

export const botConfig = registerAs(
  'bot',
  fromEnv((env) => ({ uid: env.BOT_UID })),
);

export const webhookConfig = registerAs(
  'webhook',
  fromEnv((env) => ({
    username: env.WEBHOOK_USERNAME,
    password: env.WEBHOOK_PASSWORD,
    bodyLimit: env.WEBHOOK_BODY_LIMIT,
    enqueueTimeoutMs: env.WEBHOOK_ENQUEUE_TIMEOUT_MS,
    /** The app webhooks' Basic Auth (POST /webhooks/cometchat/events): the callback's unless set apart. */
    events: {
      username: env.EVENTS_WEBHOOK_USERNAME ?? env.WEBHOOK_USERNAME,
      password: env.EVENTS_WEBHOOK_PASSWORD ?? env.WEBHOOK_PASSWORD,
    },
  })),
);

export const cometchatConfig = registerAs(
  'cometchat',
  fromEnv((env) => ({
    mode: env.COMETCHAT_MODE,
    appId: env.COMETCHAT_APP_ID,
    region: env.COMETCHAT_REGION,
    apiKey: env.COMETCHAT_API_KEY,
    apiUrl: cometchatApiUrl({ appId: env.COMETCHAT_APP_ID, region: env.COMETCHAT_REGION, apiUrl: env.COMETCHAT_API_URL }),
    timeoutMs: env.COMETCHAT_TIMEOUT_MS,
  })),
);

export const queueConfig = registerAs(
  'queue',
  fromEnv((env) => ({
    eventsConcurrency: env.EVENTS_CONCURRENCY,
    repliesConcurrency: env.REPLIES_CONCURRENCY,
    lockMs: env.JOB_LOCK_MS,
    /**
     * How often stalled jobs are looked for, and how long a parked job sleeps before it looks again by itself: half
     * the lock, so a job whose process died runs again within 1.5 locks, and a lost hand-off costs at most half of one.
     */
    recoveryCheckMs: Math.ceil(env.JOB_LOCK_MS / 2),
    events: { attempts: env.EVENTS_ATTEMPTS, backoffMs: env.RETRY_BACKOFF_MS, backoffMaxMs: env.RETRY_BACKOFF_MAX_MS },
    // A send ends on its time budget, not on a count a short outage would use up.
    replies: { attempts: UNBOUNDED_ATTEMPTS, backoffMs: env.RETRY_BACKOFF_MS, backoffMaxMs: env.RETRY_BACKOFF_MAX_MS },
    /** How long a reply keeps being retried while CometChat fails (REPLIES_RETRY_BUDGET_MS). */
    repliesRetryBudgetMs: env.REPLIES_RETRY_BUDGET_MS,
    /**
     * Sends to CometChat per minute across every process (COMETCHAT_MAX_REQUESTS_PER_MINUTE); unset: no cap. The one
     * bot's own `sendsPerMinute` (a BOTS_FILE of one bot) caps it too: its sends are the queue's. With several bots,
     * each bot's is its own (BotSends).
     */
    maxSendsPerMinute: queueCap(env),
  })),
);

/** The replies queue's cap a minute: the deployment's, and the one bot's own when it is the only bot. */
function queueCap(env: EnvironmentVariables): number | undefined {
  const bots = botsOf(env);
  const caps = [env.COMETCHAT_MAX_REQUESTS_PER_MINUTE, bots.length === 1 ? bots[0].sendsPerMinute : undefined].filter((cap) => cap !== undefined);
  return caps.length > 0 ? Math.min(...caps) : undefined;
}

export const respondersConfig = registerAs(
  'responders',
  fromEnv((env) => ({
    groupChatSetting: env.GROUP_CHAT_SETTING,
    timeoutMs: env.RESPONDER_TIMEOUT_MS,
    echoEnabled: env.ECHO_ENABLED,
    replyInThread: env.REPLY_IN_THREAD,
    /** What edits, deletes and reactions (the app webhooks) do besides reaching the responders that take them. */
    changes: {
      answerEdits: env.ANSWER_EDITED_MESSAGES,
      deleteAnswers: env.DELETE_ANSWERS_OF_DELETED_MESSAGES,
      countFeedback: env.COUNT_FEEDBACK,
    },
    live: { progressAfterMs: env.PROGRESS_AFTER_MS, progressText: env.PROGRESS_TEXT, editIntervalMs: env.STREAM_EDIT_INTERVAL_MS },
    fallbackText: env.FALLBACK_TEXT,
    apologyText: env.APOLOGY_TEXT,
    stateTtlSeconds: env.CONVERSATION_STATE_TTL_SECONDS,
    faqFile: env.FAQ_FILE,
  })),
);

/**
 * Handing a conversation to people (src/handoff): what the user is told, where the transcript goes (unset: nowhere, and
 * no transcript is kept), and when the bot takes the conversation back by itself.
 */
export const handoffConfig = registerAs(
  'handoff',
  fromEnv((env) => ({
    text: env.HANDOFF_TEXT,
    notify: handoffNotify(env.HANDOFF_NOTIFY),
    timeoutMs: env.HANDOFF_TIMEOUT_MS,
  })),
);

/** `group:<guid>` / `user:<uid>` (validated) as the conversation the transcript is posted to. */
export function handoffNotify(value: string | undefined): { type: 'user' | 'group'; id: string } | undefined {
  if (value === undefined) return undefined;
  const at = value.indexOf(':');
  return { type: value.slice(0, at) as 'user' | 'group', id: value.slice(at + 1) };
}

export const sandboxConfig = registerAs(
  'sandbox',
  fromEnv((env) => ({
    /** Replies go to the sandbox outbox instead of CometChat. */
    enabled: env.COMETCHAT_MODE === 'sandbox',
    outboxSize: env.SANDBOX_OUTBOX_SIZE,
  })),
);

/** The LLM responder; `model` unset means no LLM responder (LlmModule is not loaded). */
export const llmConfig = registerAs(
  'llm',
  fromEnv((env) => ({
    model: env.LLM_MODEL,
    baseUrl: env.LLM_BASE_URL.replace(/\/+$/, ''),
    apiKey: env.LLM_API_KEY,
    systemPrompt: env.LLM_SYSTEM_PROMPT,
    systemPromptFile: env.LLM_SYSTEM_PROMPT_FILE,
    historyTurns: env.LLM_HISTORY_TURNS,
    historyMaxTokens: env.LLM_HISTORY_MAX_TOKENS,
    maxSteps: env.LLM_MAX_STEPS,
    maxOutputTokens: env.LLM_MAX_OUTPUT_TOKENS,
    dailyTokensPerUser: env.LLM_DAILY_TOKENS_PER_USER,
    limitText: env.LLM_LIMIT_TEXT,
    streaming: env.LLM_STREAMING,
    timeoutMs: env.LLM_TIMEOUT_MS,
    groupChatSetting: env.GROUP_CHAT_SETTING,
  })),
);

/** The queue dashboard's Basic Auth; unset (both, validation sees to it) means no dashboard. */
export const adminConfig = registerAs(
  'admin',
  fromEnv((env) => ({
    username: env.ADMIN_USERNAME,
    password: env.ADMIN_PASSWORD,
  })),
);

/** Whether traces are exported (OTEL_EXPORTER_OTLP_ENDPOINT set, the SDK not disabled): BullMQ is then traced too. */
export const tracingConfig = registerAs(
  'tracing',
  fromEnv((env) => ({ enabled: tracesWanted(env) })),
);
/** The AG-UI endpoint; no token (unset) means no endpoint. */
export const agentConfig = registerAs(
  'agent',
  fromEnv((env) => ({
    token: env.AGENT_TOKEN,
    heartbeatMs: env.AGENT_HEARTBEAT_MS,
  })),
);

/**
 * Every bot this deployment serves, each fully resolved (src/config/bots-file.ts): BOTS_FILE's, or the one bot of
 * BOT_UID, WEBHOOK_*, COMETCHAT_*, GROUP_CHAT_SETTING and AGENT_TOKEN.
 */
export const botsConfig = registerAs(
  'bots',
  fromEnv((env) => ({ bots: botsOf(env) })),
);

/** Every namespace, provided together by ConfigModule.forRoot(env). */
export const CONFIG_NAMESPACES = [
  appConfig,
  redisConfig,
  botConfig,
  webhookConfig,
  cometchatConfig,
  queueConfig,
  respondersConfig,
  handoffConfig,
  sandboxConfig,
  adminConfig,
  tracingConfig,
  agentConfig,
  llmConfig,
  botsConfig,
] as const;

export type AppConfig = ConfigType<typeof appConfig>;
export type RedisConfig = ConfigType<typeof redisConfig>;
export type BotConfig = ConfigType<typeof botConfig>;
export type WebhookConfig = ConfigType<typeof webhookConfig>;
export type CometChatConfig = ConfigType<typeof cometchatConfig>;
export type QueueConfig = ConfigType<typeof queueConfig>;
export type RespondersConfig = ConfigType<typeof respondersConfig>;
export type HandoffConfig = ConfigType<typeof handoffConfig>;
export type SandboxConfig = ConfigType<typeof sandboxConfig>;
export type AdminConfig = ConfigType<typeof adminConfig>;
export type TracingConfig = ConfigType<typeof tracingConfig>;
export type AgentConfig = ConfigType<typeof agentConfig>;
export type LlmConfig = ConfigType<typeof llmConfig>;
export type BotsConfig = ConfigType<typeof botsConfig>;

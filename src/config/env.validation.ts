import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  validateSync,
  ValidationError,
} from 'class-validator';
import {
  AGENT_TOKEN_PATTERN,
  COMETCHAT_MODES,
  COMETCHAT_REGIONS,
  CometChatMode,
  GROUP_CHAT_SETTINGS,
  GroupChatSetting,
  HTTP_URL_PATTERN,
  MAX_SENDS_PER_MINUTE,
  MAX_UID_LENGTH,
  MAX_WEBHOOK_PASSWORD_LENGTH,
  MAX_WEBHOOK_USERNAME_LENGTH,
  SANDBOX_WEBHOOK_PASSWORD,
  toInt,
  toUid,
  WEBHOOK_USERNAME_PATTERN,
} from './bot-rules';
import { applyBotsFile, BotsFile, loadBotsFile } from './bots-file';

// Declared in bot-rules.ts, shared with BOTS_FILE's rules; exported here as they always were.
export { COMETCHAT_MODES, COMETCHAT_REGIONS, GROUP_CHAT_SETTINGS, SANDBOX_WEBHOOK_PASSWORD };
export type { CometChatMode, GroupChatSetting };

export const APP_ROLES = ['api', 'worker', 'all'] as const;
export type AppRole = (typeof APP_ROLES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
/** OTLP encodings the OpenTelemetry SDK can export with. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;

/**
 * Sandbox when asked for, or when COMETCHAT_MODE is unset and there is no API key; present credentials
 * never mean sandbox silently. (An invalid COMETCHAT_MODE counts as live, so its error comes with the others.)
 */
export function resolveCometChatMode(env: { COMETCHAT_MODE?: unknown; COMETCHAT_API_KEY?: unknown }): CometChatMode {
  if (env.COMETCHAT_MODE === 'sandbox') return 'sandbox';
  return env.COMETCHAT_MODE === undefined && env.COMETCHAT_API_KEY === undefined ? 'sandbox' : 'live';
}
/**
 * CometChat credentials are required in live mode; in sandbox mode, or with BOTS_FILE (each app's are in the file),
 * they are checked only when given.
 */
const RequiredWhenLive = (name: 'COMETCHAT_APP_ID' | 'COMETCHAT_REGION' | 'COMETCHAT_API_KEY') =>
  ValidateIf((env: EnvironmentVariables) => (env.BOTS_FILE === undefined && resolveCometChatMode(env) === 'live') || env[name] !== undefined);
/** A single-bot variable: required without BOTS_FILE; with it, checked only when given (and refused then: bots-file.ts). */
const RequiredWithoutBotsFile = (name: 'BOT_UID' | 'WEBHOOK_USERNAME' | 'WEBHOOK_PASSWORD') =>
  ValidateIf((env: EnvironmentVariables) => env.BOTS_FILE === undefined || env[name] !== undefined);

/** An integer variable; the type is checked before the bounds so the message says what is wrong first. */
const IntEnv = (min: number, max = Number.MAX_SAFE_INTEGER) => applyDecorators(Transform(toInt), IsInt(), Min(min), Max(max));
const toBool = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^(true|false|1|0|yes|no)$/i.test(value.trim()) ? /^(true|1|yes)$/i.test(value.trim()) : value;
/** OpenTelemetry's booleans: only true or false, in any case (its SDK reads anything else as false). */
const toOtelBool = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^(true|false)$/i.test(value.trim()) ? value.trim().toLowerCase() === 'true' : value;
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);
/** One of a pair of variables that mean something only together: reported on the one that is set. */
const SetWith = (other: keyof EnvironmentVariables, meaning: string) =>
  ValidateBy({
    name: 'setWith',
    validator: {
      validate: (_value, args) => (args!.object as EnvironmentVariables)[other] !== undefined,
      defaultMessage: (args) => `${args!.property} is set but ${other} is not: ${meaning}`,
    },
  });

/** `host:port` or `[ipv6]:port`, comma-separated. */
const HOST_LIST = /^\s*(?:[^\s,:[\]]+|\[[0-9a-fA-F:.]+\]):\d{1,5}\s*(?:,\s*(?:[^\s,:[\]]+|\[[0-9a-fA-F:.]+\]):\d{1,5}\s*)*$/;

export interface HostPort {
  host: string;
  port: number;
}

/** The nodes of REDIS_SENTINELS / REDIS_CLUSTER_NODES (already matched against HOST_LIST). */
export function parseHostList(list: string): HostPort[] {
  return list.split(',').map((entry) => {
    const at = entry.trim().lastIndexOf(':');
    return {
      host: entry
        .trim()
        .slice(0, at)
        .replace(/^\[(.*)\]$/, '$1'),
      port: Number(entry.trim().slice(at + 1)),
    };
  });
}

/** A Cluster keeps every key of one queue in one slot only through a `{hash tag}` in the prefix. */
export const hasHashTag = (prefix: string) => /\{[^}]+\}/.test(prefix);
export const defaultQueuePrefix = (env: { REDIS_CLUSTER_NODES?: string }) => (env.REDIS_CLUSTER_NODES ? '{cometchat-bot}' : 'cometchat-bot');

/** What `/human` (and the LLM's handoff tool) answers unless HANDOFF_TEXT says otherwise. */
export const DEFAULT_HANDOFF_TEXT = 'I have asked a person to take over; they will answer you here. Send /bot to talk to me again.';
/** Where a handoff's transcript goes: a group (`group:<guid>`) or a user (`user:<uid>`); CometChat ids are alpha-dash. */
export const HANDOFF_NOTIFY_PATTERN = /^(group|user):[a-z0-9_-]{1,100}$/;

/** Every environment variable the service reads. Defaults live here, next to the rule for each. */
export class EnvironmentVariables {
  @IntEnv(0, 65535)
  PORT = 3000;

  @IsString()
  @IsNotEmpty()
  HOST = '0.0.0.0';

  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://localhost:6379';

  // BullMQ builds keys as `<prefix>:<queue>:<id>`; a ':' inside the prefix would blur that. Unset: see
  // defaultQueuePrefix (a Cluster needs a hash tag); validateEnv always fills it in.
  @IsOptional()
  @Matches(/^[^:\s]+$/, { message: 'QUEUE_PREFIX must be non-empty and contain no ":" or spaces' })
  QUEUE_PREFIX: string;

  // Sentinel or Cluster instead of REDIS_URL (docs/operations.md "Redis topologies").
  @IsOptional()
  @Matches(HOST_LIST, { message: 'REDIS_SENTINELS must be host:port,host:port' })
  REDIS_SENTINELS?: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  REDIS_SENTINEL_NAME?: string;

  @IsOptional()
  @Matches(HOST_LIST, { message: 'REDIS_CLUSTER_NODES must be host:port,host:port' })
  REDIS_CLUSTER_NODES?: string;

  @IsOptional()
  @IsString()
  REDIS_USERNAME?: string;

  @IsOptional()
  @IsString()
  REDIS_PASSWORD?: string;

  // Replicas a stored message and a send record must reach (Redis WAIT): replication is asynchronous, and a write
  // only the dead master had is lost in a failover. Unset: 1 on Sentinel or Cluster, 0 (no WAIT) with REDIS_URL;
  // validateEnv always fills it in.
  @IsOptional()
  @IntEnv(0, 16)
  REDIS_WAIT_REPLICAS: number;

  @IsIn(APP_ROLES, { message: `APP_ROLE must be one of: ${APP_ROLES.join(', ')}` })
  APP_ROLE: AppRole = 'all';

  // Several bots in one deployment (docs/configuration.md "Several bots"): a YAML or JSON file instead of the
  // single-bot variables BOT_UID, WEBHOOK_*, COMETCHAT_APP_ID/REGION/API_KEY/API_URL and AGENT_TOKEN.
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  BOTS_FILE?: string;

  // CometChat forces UIDs to lowercase, so a mixed-case value here could never match a sender.
  @RequiredWithoutBotsFile('BOT_UID')
  @Transform(toUid)
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_UID_LENGTH)
  BOT_UID: string;

  @RequiredWithoutBotsFile('WEBHOOK_USERNAME')
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_WEBHOOK_USERNAME_LENGTH)
  @Matches(WEBHOOK_USERNAME_PATTERN, { message: 'WEBHOOK_USERNAME must not contain ":" (Basic Auth separator)' })
  WEBHOOK_USERNAME: string;

  @RequiredWithoutBotsFile('WEBHOOK_PASSWORD')
  @IsString()
  @IsNotEmpty()
  // CometChat stores a bot's Basic Auth password of at most 50 characters: a longer one could never match.
  @MaxLength(MAX_WEBHOOK_PASSWORD_LENGTH, {
    message: `WEBHOOK_PASSWORD must be at most ${MAX_WEBHOOK_PASSWORD_LENGTH} characters (CometChat’s limit for a bot’s Basic Auth password)`,
  })
  @ValidateBy({
    name: 'notSandboxPasswordWhenLive',
    validator: {
      validate: (value, args) => value !== SANDBOX_WEBHOOK_PASSWORD || resolveCometChatMode(args!.object) === 'sandbox',
      defaultMessage: () => `WEBHOOK_PASSWORD is the development-only sandbox password; a live bot needs its own`,
    },
  })
  WEBHOOK_PASSWORD: string;

  // The app webhooks' route (POST /webhooks/cometchat/events): its own Basic Auth, the callback's when unset.
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_WEBHOOK_USERNAME_LENGTH)
  @Matches(WEBHOOK_USERNAME_PATTERN, { message: 'EVENTS_WEBHOOK_USERNAME must not contain ":" (Basic Auth separator)' })
  EVENTS_WEBHOOK_USERNAME?: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  // CometChat's webhook password may be up to 100 characters (Management API).
  @MaxLength(100)
  EVENTS_WEBHOOK_PASSWORD?: string;

  // `live` sends replies to CometChat, `sandbox` to a local outbox in Redis. Unset: see resolveCometChatMode;
  // validateEnv always fills it in.
  @IsOptional()
  @IsIn(COMETCHAT_MODES, { message: `COMETCHAT_MODE must be one of: ${COMETCHAT_MODES.join(', ')}` })
  COMETCHAT_MODE: CometChatMode;

  // In sandbox mode the three CometChat credentials may be absent: validateEnv puts placeholders in.
  @RequiredWhenLive('COMETCHAT_APP_ID')
  @IsString()
  @IsNotEmpty()
  COMETCHAT_APP_ID: string;

  @RequiredWhenLive('COMETCHAT_REGION')
  @IsIn(COMETCHAT_REGIONS, {
    message: `COMETCHAT_REGION must be one of: ${COMETCHAT_REGIONS.join(', ')}`,
  })
  COMETCHAT_REGION: string;

  @RequiredWhenLive('COMETCHAT_API_KEY')
  @IsString()
  @IsNotEmpty()
  COMETCHAT_API_KEY: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(HTTP_URL_PATTERN, { message: 'COMETCHAT_API_URL must be an http(s) URL' })
  COMETCHAT_API_URL?: string;

  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of: ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  @IsIn(LOG_FORMATS, { message: `LOG_FORMAT must be one of: ${LOG_FORMATS.join(', ')}` })
  LOG_FORMAT: LogFormat = 'json';

  // Extensions of the contract, all with safe defaults.
  @IntEnv(1024)
  WEBHOOK_BODY_LIMIT = 1024 * 1024;

  @IntEnv(50, 10_000)
  WEBHOOK_ENQUEUE_TIMEOUT_MS = 1500;

  @IntEnv(100)
  COMETCHAT_TIMEOUT_MS = 10_000;

  // CometChat documents 20,000 standard requests a minute, 500 on the free plan: keep sends under the app's plan.
  @IsOptional()
  @IntEnv(1, MAX_SENDS_PER_MINUTE)
  COMETCHAT_MAX_REQUESTS_PER_MINUTE?: number;

  @IntEnv(1, 1000)
  EVENTS_CONCURRENCY = 10;

  @IntEnv(1, 1000)
  REPLIES_CONCURRENCY = 10;

  @IntEnv(1, 100)
  EVENTS_ATTEMPTS = 5;

  @IntEnv(10, 3_600_000)
  RETRY_BACKOFF_MS = 1000;

  @IntEnv(10, 3_600_000)
  RETRY_BACKOFF_MAX_MS = 60_000;

  @IntEnv(1000, 7 * 24 * 3_600_000)
  REPLIES_RETRY_BUDGET_MS = 30 * 60_000;

  // 20 s: a job whose process died runs again within 30 s (the lock, then half of it for the stalled check).
  @IntEnv(1000)
  JOB_LOCK_MS = 20_000;

  @IntEnv(0)
  SHUTDOWN_GRACE_MS = 10_000;

  // Responders (see docs/responders.md).
  @IsIn(GROUP_CHAT_SETTINGS, {
    message: `GROUP_CHAT_SETTING must be one of: ${GROUP_CHAT_SETTINGS.join(', ')}`,
  })
  GROUP_CHAT_SETTING: GroupChatSetting = 'mentionedMessages';

  @IntEnv(100, 3_600_000)
  RESPONDER_TIMEOUT_MS = 30_000;

  @Transform(toBool)
  @IsBoolean({ message: 'ECHO_ENABLED must be true or false' })
  ECHO_ENABLED = true;

  @Transform(toBool)
  @IsBoolean({ message: 'REPLY_IN_THREAD must be true or false' })
  REPLY_IN_THREAD = true;

  // What the app webhooks' events do by default (docs/app-webhooks.md).
  @Transform(toBool)
  @IsBoolean({ message: 'ANSWER_EDITED_MESSAGES must be true or false' })
  ANSWER_EDITED_MESSAGES = true;

  @Transform(toBool)
  @IsBoolean({ message: 'DELETE_ANSWERS_OF_DELETED_MESSAGES must be true or false' })
  DELETE_ANSWERS_OF_DELETED_MESSAGES = true;

  @Transform(toBool)
  @IsBoolean({ message: 'COUNT_FEEDBACK must be true or false' })
  COUNT_FEEDBACK = true;

  // Handing a conversation to people (docs/handoff.md).
  @IsString()
  @IsNotEmpty({ message: 'HANDOFF_TEXT must not be empty' })
  @MaxLength(4000)
  HANDOFF_TEXT = DEFAULT_HANDOFF_TEXT;

  // CometChat forces UIDs and GUIDs to lowercase; so does the service.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() || undefined : value))
  @IsOptional()
  @Matches(HANDOFF_NOTIFY_PATTERN, {
    message:
      'HANDOFF_NOTIFY must be group:<guid> or user:<uid> (where the transcript of a handed-off conversation is posted), as in group:support-team',
  })
  HANDOFF_NOTIFY?: string;

  @IntEnv(1000, 30 * 24 * 3600 * 1000)
  HANDOFF_TIMEOUT_MS = 24 * 3600 * 1000;

  // Live turns (docs/live-turns.md): a streamed answer not done by then is posted as it stands and filled in by edits.
  @IntEnv(0, 600_000)
  PROGRESS_AFTER_MS = 1500;

  @IsString()
  @IsNotEmpty({ message: 'PROGRESS_TEXT must not be empty' })
  @MaxLength(200)
  PROGRESS_TEXT = '…';

  @IntEnv(250, 600_000)
  STREAM_EDIT_INTERVAL_MS = 2000;

  @IsOptional()
  @IsString()
  @MaxLength(4000)
  FALLBACK_TEXT?: string;

  @IsOptional()
  @IsString()
  @MaxLength(4000)
  APOLOGY_TEXT?: string;

  @IntEnv(60, 365 * 24 * 3600)
  CONVERSATION_STATE_TTL_SECONDS = 7 * 24 * 3600;

  @IsOptional()
  @IsString()
  FAQ_FILE?: string;

  // The LLM responder (docs/ai-and-agents.md "The LLM responder"): on when LLM_MODEL is set.
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  LLM_MODEL?: string;

  @Matches(/^https?:\/\/[^\s]+$/, { message: 'LLM_BASE_URL must be an http(s) URL' })
  LLM_BASE_URL = 'https://api.openai.com/v1';

  @IsOptional()
  @IsString()
  LLM_API_KEY?: string;

  @IsOptional()
  @IsString()
  @MaxLength(100_000)
  LLM_SYSTEM_PROMPT?: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  LLM_SYSTEM_PROMPT_FILE?: string;

  @IntEnv(0, 1000)
  LLM_HISTORY_TURNS = 20;

  // Approximate (characters / 4) cap on the history sent with each call.
  @IntEnv(0, 10_000_000)
  LLM_HISTORY_MAX_TOKENS = 8000;

  @IntEnv(1, 100)
  LLM_MAX_STEPS = 5;

  @IntEnv(1, 1_000_000)
  LLM_MAX_OUTPUT_TOKENS = 1024;

  // Unset: no daily budget.
  @IsOptional()
  @IntEnv(1)
  LLM_DAILY_TOKENS_PER_USER?: number;

  @IsString()
  @IsNotEmpty()
  @MaxLength(4000)
  LLM_LIMIT_TEXT = "You've reached today's limit for AI answers. Please try again tomorrow.";

  // The model's time for one answer (every step): past it the turn fails as a model error does, and is retried.
  // Below RESPONDER_TIMEOUT_MS, which fails a turn for good. Unset: two thirds of it (20 s); validateEnv fills it in.
  @IsOptional()
  @IntEnv(100, 3_600_000)
  LLM_TIMEOUT_MS: number;

  // false: one non-streaming completion per step, for servers that stream poorly.
  @Transform(toBool)
  @IsBoolean({ message: 'LLM_STREAMING must be true or false' })
  LLM_STREAMING = true;

  // Sandbox (README "Try it in a minute"). The chat page is on in sandbox mode; SANDBOX_UI=true adds it in live mode.
  @Transform(toBool)
  @IsBoolean({ message: 'SANDBOX_UI must be true or false' })
  SANDBOX_UI = false;

  @IntEnv(1, 100_000)
  SANDBOX_OUTBOX_SIZE = 500;

  // The queue dashboard (/admin/queues) and its own Basic Auth: both set, or neither (no dashboard).
  @IsOptional()
  @IsString()
  @Matches(/^[^:]*$/, { message: 'ADMIN_USERNAME must not contain ":" (Basic Auth separator)' })
  @SetWith('ADMIN_PASSWORD', 'the queue dashboard needs both, or neither for no dashboard')
  ADMIN_USERNAME?: string;

  @IsOptional()
  @IsString()
  @SetWith('ADMIN_USERNAME', 'the queue dashboard needs both, or neither for no dashboard')
  ADMIN_PASSWORD?: string;

  // Traces (docs/operations.md "Traces"): OpenTelemetry's standard variables. Its SDK reads them itself, at start
  // (src/tracing); they are declared here so that a mistake is named at boot and the app knows whether tracing is on.
  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL' })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http(s) URL' })
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;

  @IsOptional()
  @IsIn(OTLP_PROTOCOLS, { message: `OTEL_EXPORTER_OTLP_PROTOCOL must be one of: ${OTLP_PROTOCOLS.join(', ')}` })
  OTEL_EXPORTER_OTLP_PROTOCOL?: string;

  @IsOptional()
  @IsIn(OTLP_PROTOCOLS, {
    message: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be one of: ${OTLP_PROTOCOLS.join(', ')}`,
  })
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  OTEL_SERVICE_NAME?: string;

  @Transform(toOtelBool)
  @IsBoolean({ message: 'OTEL_SDK_DISABLED must be true or false' })
  OTEL_SDK_DISABLED = false;

  // The AG-UI endpoint (POST /agents/ag-ui) for CometChat's AI Agents, behind this Bearer token; unset: no endpoint.
  @IsOptional()
  @Matches(AGENT_TOKEN_PATTERN, { message: 'AGENT_TOKEN must be at least 16 printable characters, without spaces' })
  AGENT_TOKEN?: string;

  // A comment line this often keeps proxies from closing an AG-UI stream while a responder thinks.
  @IntEnv(10, 300_000)
  AGENT_HEARTBEAT_MS = 15_000;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => {
    if (e.value === undefined) return `${e.property} is required`;
    // One message per variable: the first rule it breaks is enough to act on.
    const [first = 'is invalid'] = Object.values(e.constraints ?? {});
    return first.startsWith(e.property) ? first : `${e.property}: ${first}`;
  });
}

/** Rules between variables, and variables that are no longer read (a silent change of meaning would be worse). */
function crossChecks(env: EnvironmentVariables, input: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (env.LLM_TIMEOUT_MS !== undefined && env.LLM_TIMEOUT_MS >= env.RESPONDER_TIMEOUT_MS) {
    problems.push(
      `LLM_TIMEOUT_MS (${env.LLM_TIMEOUT_MS}) must be below RESPONDER_TIMEOUT_MS (${env.RESPONDER_TIMEOUT_MS}): a slow model is retried, a responder past its time is not`,
    );
  }
  if (input.REPLIES_ATTEMPTS !== undefined) {
    problems.push('REPLIES_ATTEMPTS is no longer read: a reply is retried for REPLIES_RETRY_BUDGET_MS (default 30 minutes); remove it');
  }
  if (env.REDIS_SENTINELS && env.REDIS_CLUSTER_NODES) problems.push('REDIS_SENTINELS and REDIS_CLUSTER_NODES: set one of them, not both');
  if ((env.REDIS_SENTINELS || env.REDIS_CLUSTER_NODES) && input.REDIS_URL !== undefined) {
    problems.push(`REDIS_URL: set it or ${env.REDIS_SENTINELS ? 'REDIS_SENTINELS' : 'REDIS_CLUSTER_NODES'}, not both`);
  }
  if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_NAME) problems.push("REDIS_SENTINEL_NAME is required with REDIS_SENTINELS (the master's name)");
  if (env.REDIS_SENTINEL_NAME && !env.REDIS_SENTINELS) problems.push('REDIS_SENTINEL_NAME: set REDIS_SENTINELS too');
  if ((env.REDIS_USERNAME !== undefined || env.REDIS_PASSWORD !== undefined) && !env.REDIS_SENTINELS && !env.REDIS_CLUSTER_NODES) {
    problems.push('REDIS_USERNAME / REDIS_PASSWORD are for Sentinel or Cluster nodes; a REDIS_URL carries its own (redis://user:password@host:port)');
  }
  if (env.REDIS_CLUSTER_NODES && typeof env.QUEUE_PREFIX === 'string' && !hasHashTag(env.QUEUE_PREFIX)) {
    problems.push(`QUEUE_PREFIX must hold a {hash tag} on Redis Cluster, e.g. {${env.QUEUE_PREFIX}}, so each queue's keys share a slot`);
  }
  if (env.LLM_SYSTEM_PROMPT !== undefined && env.LLM_SYSTEM_PROMPT_FILE !== undefined) {
    problems.push('LLM_SYSTEM_PROMPT and LLM_SYSTEM_PROMPT_FILE: set one of them, not both');
  }
  if (Number.isInteger(env.RETRY_BACKOFF_MS) && Number.isInteger(env.RETRY_BACKOFF_MAX_MS) && env.RETRY_BACKOFF_MAX_MS < env.RETRY_BACKOFF_MS) {
    problems.push(`RETRY_BACKOFF_MAX_MS (${env.RETRY_BACKOFF_MAX_MS}) must be at least RETRY_BACKOFF_MS (${env.RETRY_BACKOFF_MS})`);
  }
  return problems;
}

/**
 * Validates process.env-like input, and the file BOTS_FILE names (its `${VAR}` read from this same input); throws one
 * error naming every bad variable and every problem of the file.
 */
export function validateEnv(raw: Record<string, unknown>): EnvironmentVariables {
  const input = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== ''));
  const env = plainToInstance(EnvironmentVariables, input, { exposeDefaultValues: true });
  const errors = validateSync(env, { stopAtFirstError: true, forbidUnknownValues: false });
  const botsFile = readBotsFile(env, input);
  const problems = [...describe(errors), ...crossChecks(env, input), ...(botsFile?.problems ?? [])];
  if (problems.length > 0) throw new ConfigValidationError(problems);
  resolveDefaults(env);
  if (botsFile) applyBotsFile(env, botsFile);
  return env;
}

function readBotsFile(env: EnvironmentVariables, input: Record<string, unknown>): BotsFile | undefined {
  if (typeof env.BOTS_FILE !== 'string') return undefined;
  // An invalid GROUP_CHAT_SETTING is reported as such; the bots' default does not matter then.
  const groupChatSetting = (GROUP_CHAT_SETTINGS as readonly unknown[]).includes(env.GROUP_CHAT_SETTING)
    ? env.GROUP_CHAT_SETTING
    : 'mentionedMessages';
  return loadBotsFile(env.BOTS_FILE, { environment: input, groupChatSetting });
}

/** Defaults that depend on other variables (also for the CLI, which may read a partly invalid environment). */
export function resolveDefaults(env: EnvironmentVariables): void {
  env.QUEUE_PREFIX ??= defaultQueuePrefix(env);
  env.LLM_TIMEOUT_MS ??= Math.floor((env.RESPONDER_TIMEOUT_MS * 2) / 3);
  env.REDIS_WAIT_REPLICAS ??= env.REDIS_SENTINELS || env.REDIS_CLUSTER_NODES ? 1 : 0;
  env.COMETCHAT_MODE = resolveCometChatMode(env);
  if (env.COMETCHAT_MODE === 'sandbox') {
    env.COMETCHAT_APP_ID ??= 'sandbox';
    env.COMETCHAT_REGION ??= 'us';
    env.COMETCHAT_API_KEY ??= '';
  }
}

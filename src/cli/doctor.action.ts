import { describeTopology, redisTopology } from '../config/app.config';
import { ConfigValidationError, EnvironmentVariables } from '../config/env.validation';
import {
  cometchatApiUrl,
  CREDENTIALS_FIX,
  EnvKey,
  EVENTS_CREDENTIAL_KEYS,
  eventsCredentials,
  FILE_CREDENTIALS_FIX,
  fileCredentialsMissing,
  missingCredentials,
  missingCredentialsMessage,
  readBots,
  readEnv,
  REDIS_KEYS,
  readFullEnv,
  usesBotsFile,
} from './cli-config';
import type { BotDefinition } from '../config/bots-file';
import { botNamed } from './cli-bots';
import type { CliOutput } from './cli-output';
import { BotRecord, BotsApiClient, BotsApiError } from '../cometchat/bots-api.client';
import { fixFor } from './bots-api-fix';
import { currentSettings } from './bot-settings';
import { EXIT_FAILED, EXIT_OK } from './exit-codes';
import { QUEUE_NAMES } from '../queue/queue-definitions';
import { FailedJobs } from './failed-jobs';
import { pingRedis } from './redis-probe';
import { botCallbackUrl, CALLBACK_PATH, checkCallbackUrl } from './callback-url';
import { EVENTS_PATH, eventsUrl, IGNORED_TRIGGER, ignoredEnvelope } from './app-webhook';

export interface DoctorOptions {
  url?: string;
  service?: string;
  /** Only this bot's CometChat checks, by uid (any case); otherwise every bot's. */
  bot?: string;
}

export type CheckStatus = 'ok' | 'failed' | 'skipped';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** Further lines under the detail (e.g. one per bad variable). */
  more?: string[];
  /** One line: what to do about a failure. */
  fix?: string;
}

const SERVICE_TIMEOUT_MS = 3000;

/** Each check needs some variables; when one of them is invalid the check is skipped (configuration says why). */
function envFor<K extends EnvKey>(keys: readonly K[]): Pick<EnvironmentVariables, K> | undefined {
  try {
    return readEnv(keys);
  } catch (error) {
    if (error instanceof ConfigValidationError) return undefined;
    throw error;
  }
}

const skipped = (name: string, detail: string): CheckResult => ({ name, status: 'skipped', detail });
const sameUrl = (a: string, b: string) => {
  try {
    return new URL(a).toString() === new URL(b).toString();
  } catch {
    return a === b;
  }
};

function checkConfiguration(): CheckResult {
  try {
    readFullEnv();
    return { name: 'configuration', status: 'ok', detail: 'every variable is valid' };
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    return {
      name: 'configuration',
      status: 'failed',
      detail: `${error.problems.length} invalid variable${error.problems.length > 1 ? 's' : ''}`,
      more: error.problems.map((problem) => `- ${problem}`),
      fix: 'set them in the environment or in .env (see .env.example), then run doctor again',
    };
  }
}

async function checkRedis(): Promise<CheckResult> {
  const env = envFor(REDIS_KEYS);
  if (!env) return skipped('redis', 'the Redis settings are invalid (see configuration)');
  const topology = redisTopology(env);
  const where = describeTopology(topology);
  let ms: number;
  try {
    ms = await pingRedis(topology);
  } catch (error) {
    return {
      name: 'redis',
      status: 'failed',
      detail: `${where} does not answer PING: ${(error as Error).message}`,
      fix: 'start Redis (docker compose up redis) or point REDIS_URL at it',
    };
  }
  let failures = '';
  const jobs = await FailedJobs.open(topology, env.QUEUE_PREFIX).catch(() => undefined);
  if (jobs) {
    try {
      const counts = await Promise.all(QUEUE_NAMES.map(async (name) => `${await jobs.count(name)} ${name}`));
      failures = `; failed jobs: ${counts.join(', ')} (see \`failed list\`)`;
    } catch {
      /* the count is a courtesy; PING answered */
    } finally {
      await jobs.close();
    }
  }
  return { name: 'redis', status: 'ok', detail: `PONG from ${where} in ${ms} ms${failures}` };
}

const BOT_CHECKS = ['bot exists', 'bot enabled', 'webhook URL', 'group setting', 'basic auth'];

/** What the CometChat checks compare one bot with; a setting that could not be read is skipped with its reason. */
interface BotTarget {
  uid: string;
  apiUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** The webhookURL CometChat should call (from --url). */
  url?: string;
  registerHint: string;
  group: { value: string; expects: string; fix: string } | { invalid: string };
  auth: { username: string; password: string; source: string } | { invalid: string };
  /** Its app in BOTS_FILE, named in fixes. */
  app?: string;
}

/** The single-bot variables' checks, as without BOTS_FILE. */
async function checkSingleBot(options: DoctorOptions, out: CliOutput): Promise<CheckResult[]> {
  const skipRest = (why: string) => BOT_CHECKS.map((name) => skipped(name, why));
  const missing = missingCredentials();
  if (missing.length > 0) {
    return [
      { name: 'cometchat', status: 'failed', detail: missingCredentialsMessage(missing), fix: CREDENTIALS_FIX },
      ...skipRest('needs CometChat credentials'),
    ];
  }
  const env = envFor(['BOT_UID', 'COMETCHAT_APP_ID', 'COMETCHAT_REGION', 'COMETCHAT_API_KEY', 'COMETCHAT_API_URL', 'COMETCHAT_TIMEOUT_MS'] as const);
  if (!env) {
    return [skipped('cometchat', 'BOT_UID or a COMETCHAT_* variable is invalid (see configuration)'), ...skipRest('needs the cometchat check')];
  }
  const group = envFor(['GROUP_CHAT_SETTING'] as const);
  const auth = envFor(['WEBHOOK_USERNAME', 'WEBHOOK_PASSWORD'] as const);
  return checkBot(
    {
      uid: env.BOT_UID,
      apiUrl: cometchatApiUrl(env),
      apiKey: env.COMETCHAT_API_KEY,
      timeoutMs: env.COMETCHAT_TIMEOUT_MS,
      url: options.url,
      registerHint: `run \`register --url ${options.url ?? `https://<host>${CALLBACK_PATH}`}\``,
      group: group
        ? { value: group.GROUP_CHAT_SETTING, expects: `GROUP_CHAT_SETTING=${group.GROUP_CHAT_SETTING}`, fix: 'change GROUP_CHAT_SETTING' }
        : { invalid: 'GROUP_CHAT_SETTING is invalid (see configuration)' },
      auth: auth
        ? { username: auth.WEBHOOK_USERNAME, password: auth.WEBHOOK_PASSWORD, source: 'WEBHOOK_PASSWORD' }
        : { invalid: 'WEBHOOK_USERNAME or WEBHOOK_PASSWORD is invalid (see configuration)' },
    },
    out,
  );
}

/** BOTS_FILE's bots' checks: each bot's with its own app and settings, named by its uid when there are several. */
async function checkFileBots(plan: BotsPlan, options: DoctorOptions, out: CliOutput): Promise<CheckResult[]> {
  if (!plan.bots) {
    return [
      skipped('cometchat', 'BOTS_FILE, or a variable read with it, is invalid (see configuration)'),
      ...BOT_CHECKS.map((name) => skipped(name, 'needs the cometchat check')),
    ];
  }
  const several = plan.bots.length > 1;
  const results: CheckResult[] = [];
  for (const bot of plan.chosen) {
    const url = options.url && several ? botCallbackUrl(options.url, bot.uid) : options.url;
    const checks = bot.app.apiKey
      ? await checkBot(
          {
            uid: bot.uid,
            apiUrl: bot.app.apiUrl,
            apiKey: bot.app.apiKey,
            timeoutMs: plan.timeoutMs,
            url,
            registerHint: several
              ? `run \`register --bot ${bot.uid} --url ${options.url ?? 'https://<host>'}\``
              : `run \`register --url ${options.url ?? `https://<host>${CALLBACK_PATH}`}\``,
            group: {
              value: bot.groupChatSetting,
              expects: bot.groupChatSetting,
              fix: "change the bot's groupChatSetting in BOTS_FILE (or GROUP_CHAT_SETTING)",
            },
            auth: { ...bot.webhook, source: "the bot's webhook password in BOTS_FILE" },
            app: bot.app.name,
          },
          out,
        )
      : [
          { name: 'cometchat', status: 'failed' as const, detail: fileCredentialsMissing(bot), fix: FILE_CREDENTIALS_FIX },
          ...BOT_CHECKS.map((name) => skipped(name, 'needs CometChat credentials')),
        ];
    results.push(...(several ? checks.map((check) => ({ ...check, name: `[${bot.uid}] ${check.name}` })) : checks));
  }
  return results;
}

/** The CometChat checks: credentials, then the bot and each setting that must match this service. */
async function checkCometChat(plan: BotsPlan, options: DoctorOptions, out: CliOutput): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  // Read raw: sandbox mode is about where replies go, which the credentials alone do not say.
  if (process.env.COMETCHAT_MODE === 'sandbox') {
    results.push({
      name: 'mode',
      status: 'failed',
      detail: 'COMETCHAT_MODE=sandbox: the service sends replies to its local sandbox outbox, not to CometChat',
      fix: 'unset COMETCHAT_MODE (or set it to live) before going live',
    });
  }
  results.push(...(plan.fromFile ? await checkFileBots(plan, options, out) : await checkSingleBot(options, out)));
  return results;
}

/** One bot in CometChat: the credentials, that it exists and is enabled, and its settings. */
async function checkBot(target: BotTarget, out: CliOutput): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const skipRest = (why: string, from = 0) => BOT_CHECKS.slice(from).map((name) => skipped(name, why));
  out.addSecret(target.apiKey);

  const api = new BotsApiClient(target.apiUrl, target.apiKey, target.timeoutMs);
  let bot: BotRecord | null;
  try {
    bot = await api.get(target.uid);
  } catch (error) {
    if (!(error instanceof BotsApiError)) throw error;
    results.push({ name: 'cometchat', status: 'failed', detail: error.message, fix: fixFor(error, target.uid, target.app) });
    return [...results, ...skipRest('needs the cometchat check')];
  }
  results.push({ name: 'cometchat', status: 'ok', detail: `credentials accepted by ${api.baseUrl}` });
  const registerHint = target.registerHint;
  if (bot === null) {
    results.push({
      name: 'bot exists',
      status: 'failed',
      detail: `CometChat has no bot for UID ${target.uid}`,
      fix: `${registerHint} (the user ${target.uid} must exist)`,
    });
    return [...results, ...skipRest('needs the bot', 1)];
  }
  out.addSecret(bot.password); // echoed in plain text by CometChat
  const current = currentSettings(bot);
  results.push({ name: 'bot exists', status: 'ok', detail: `${target.uid}, calling ${current.webhookURL || '(no webhookURL)'}` });
  results.push(
    current.enabled
      ? { name: 'bot enabled', status: 'ok', detail: 'enabled' }
      : {
          name: 'bot enabled',
          status: 'failed',
          detail: 'the bot is disabled: CometChat relays no messages to it',
          fix: `${registerHint} (sets enabled: true), or enable it in the dashboard`,
        },
  );

  if (!target.url) {
    results.push(skipped('webhook URL', `CometChat calls ${current.webhookURL || '(none)'}; pass --url to compare`));
  } else if (sameUrl(current.webhookURL, target.url)) {
    results.push({ name: 'webhook URL', status: 'ok', detail: target.url });
  } else {
    results.push({
      name: 'webhook URL',
      status: 'failed',
      detail: `CometChat calls ${current.webhookURL || '(none)'}, not ${target.url}`,
      fix: registerHint,
    });
  }

  const group = target.group;
  if ('invalid' in group) results.push(skipped('group setting', group.invalid));
  else if (current.groupChatSetting === group.value) {
    results.push({ name: 'group setting', status: 'ok', detail: current.groupChatSetting });
  } else {
    results.push({
      name: 'group setting',
      status: 'failed',
      detail: `CometChat relays ${current.groupChatSetting}, the service expects ${group.expects}`,
      fix: `${registerHint}, or ${group.fix}`,
    });
  }

  const auth = target.auth;
  if ('invalid' in auth) results.push(skipped('basic auth', auth.invalid));
  else {
    out.addSecret(auth.password);
    const problems = [
      ...(current.useBasicAuth ? [] : ['useBasicAuth is off (CometChat sends no credentials; the service answers 401)']),
      ...(current.username === auth.username ? [] : [`username is ${current.username ?? '(unset)'}, not ${auth.username}`]),
      ...(current.password === auth.password ? [] : [`password differs from ${auth.source} (not shown)`]),
    ];
    results.push(
      problems.length === 0
        ? { name: 'basic auth', status: 'ok', detail: `on, username ${auth.username}, password matches` }
        : { name: 'basic auth', status: 'failed', detail: problems.join('; '), fix: registerHint },
    );
  }
  return results;
}

async function checkService(service: string): Promise<CheckResult> {
  let url: string;
  try {
    const base = new URL(service);
    url = base.pathname.endsWith('/health/ready') ? base.toString() : new URL('/health/ready', base).toString();
  } catch {
    return { name: 'service', status: 'failed', detail: `--service ${service} is not a URL`, fix: 'pass e.g. --service http://127.0.0.1:3000' };
  }
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(SERVICE_TIMEOUT_MS) });
    if (response.ok) return { name: 'service', status: 'ok', detail: `${url} answered ${response.status}` };
    const body = (await response.text()).slice(0, 200);
    return {
      name: 'service',
      status: 'failed',
      detail: `${url} answered ${response.status}: ${body}`,
      fix: 'the service is up but not ready: check its Redis connection and logs',
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return {
      name: 'service',
      status: 'failed',
      detail: `${url}: no answer (${cause})`,
      fix: 'start the service (docker compose up) or fix --service',
    };
  }
}

/**
 * The events route (app webhooks) answers at the public URL: a receipt, a trigger the route ignores, posted with the
 * events credentials must come back `200 ignored`. Nothing is stored. Without --url, at --service (not what
 * CometChat calls, and said so).
 */
async function checkEventsRoute(options: DoctorOptions, plan: BotsPlan, out: CliOutput): Promise<CheckResult> {
  const name = 'events route';
  let url: string;
  if (options.url) url = eventsUrl(options.url);
  else if (options.service) {
    try {
      url = new URL(EVENTS_PATH, options.service).toString();
    } catch {
      return skipped(name, `--service ${options.service} is not a URL`);
    }
  } else return skipped(name, 'pass --url (the public URL CometChat calls) to check the app webhooks reach the service');
  const where = options.url ? url : `${url} (--service, not the public URL)`;
  const env = envFor(EVENTS_CREDENTIAL_KEYS);
  if (!env) return skipped(name, 'EVENTS_WEBHOOK_* or WEBHOOK_* is invalid (see configuration)');
  const credentials = eventsCredentials(env);
  out.addSecret(credentials.password);

  let status: number;
  let body: string;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
      },
      body: JSON.stringify(ignoredEnvelope(plan.chosen[0]?.app ?? plan.bots?.[0]?.app ?? {})),
      redirect: 'manual',
      signal: AbortSignal.timeout(SERVICE_TIMEOUT_MS),
    });
    status = response.status;
    body = (await response.text()).slice(0, 200);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return {
      name,
      status: 'failed',
      detail: `${where}: no answer within ${SERVICE_TIMEOUT_MS / 1000} s (${cause})`,
      fix: 'CometChat must reach this URL: check DNS, TLS and the proxy in front of the service, or fix --url',
    };
  }
  let answer: { status?: unknown } | undefined;
  try {
    answer = JSON.parse(body) as { status?: unknown };
  } catch {
    answer = undefined;
  }
  if (status === 200 && answer?.status === 'ignored') {
    return { name, status: 'ok', detail: `${where} answered 200 ignored to a ${IGNORED_TRIGGER}, with username ${credentials.username}` };
  }
  const failed = (detail: string, fix: string): CheckResult => ({ name, status: 'failed', detail: `${where} ${detail}`, fix });
  if (status === 401) {
    return failed(
      `refused the events credentials (401, username ${credentials.username})`,
      `run doctor with the service's environment: EVENTS_WEBHOOK_USERNAME and ${credentials.passwordSource} must be the service's, and the app webhook's Basic Auth the same (\`register\`)`,
    );
  }
  if (status === 404 || status === 405) {
    return failed(
      `answered ${status}: no events route there`,
      `run a service version with ${EVENTS_PATH}, and let the proxy in front of it forward that path`,
    );
  }
  if (status === 503)
    return failed(`answered 503: the service cannot store events now`, 'check Redis and the service (`doctor --service`, /health/ready)');
  return failed(`answered ${status}: ${body}; expected 200 {"status":"ignored",…}`, 'make sure --url leads to this service');
}

export function printChecks(results: CheckResult[], out: CliOutput): void {
  for (const check of results) {
    out.line(`${check.status.padEnd(8)}${check.name}: ${check.detail}`);
    for (const line of check.more ?? []) out.line(`${' '.repeat(10)}${line}`);
    if (check.status === 'failed' && check.fix) out.line(`${' '.repeat(8)}fix: ${check.fix}`);
  }
  const failed = results.filter((c) => c.status === 'failed').length;
  const passed = results.filter((c) => c.status === 'ok').length;
  out.line(failed === 0 ? `\n${passed} checks passed` : `\n${failed} check${failed > 1 ? 's' : ''} failed, ${passed} passed`);
}

/** The bots to check: every bot, or --bot's; `bots` undefined when they cannot be read (configuration says why). */
interface BotsPlan {
  fromFile: boolean;
  bots?: BotDefinition[];
  chosen: BotDefinition[];
  timeoutMs: number;
}

/**
 * Reads the bots before any check: an unknown --bot, or a --url no bot could be called at, is a usage error that
 * attempts nothing. Bots that cannot be read are not (--bot is then not checked): the configuration check says why.
 */
function planBots(options: DoctorOptions, out: CliOutput): BotsPlan {
  const fromFile = usesBotsFile();
  let read: { env: { COMETCHAT_TIMEOUT_MS: number }; bots: BotDefinition[] };
  try {
    read = readBots(fromFile ? ['COMETCHAT_TIMEOUT_MS', 'GROUP_CHAT_SETTING'] : ['BOT_UID']);
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    return { fromFile, chosen: [], timeoutMs: 0 };
  }
  const { env, bots } = read;
  for (const bot of bots) {
    out.addSecret(bot.app.apiKey);
    out.addSecret(bot.webhook.password);
  }
  const chosen = options.bot === undefined ? bots : [botNamed(bots, options.bot)];
  if (options.url && bots.length > 1) chosen.forEach((bot) => botCallbackUrl(options.url!, bot.uid));
  return { fromFile, bots, chosen, timeoutMs: env.COMETCHAT_TIMEOUT_MS };
}

export async function doctor(options: DoctorOptions, out: CliOutput): Promise<number> {
  // A --url that register would refuse cannot be what CometChat calls; say so up front.
  if (options.url) checkCallbackUrl(options.url, true);
  const plan = planBots(options, out);
  const results: CheckResult[] = [checkConfiguration()];
  results.push(await checkRedis());
  results.push(...(await checkCometChat(plan, options, out)));
  if (options.service) results.push(await checkService(options.service));
  results.push(await checkEventsRoute(options, plan, out));
  printChecks(results, out);
  return results.some((c) => c.status === 'failed') ? EXIT_FAILED : EXIT_OK;
}

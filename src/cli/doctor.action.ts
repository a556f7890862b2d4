import { describeTopology, redisTopology } from '../config/app.config';
import { ConfigValidationError, EnvironmentVariables } from '../config/env.validation';
import {
  cometchatApiUrl,
  CREDENTIALS_FIX,
  EnvKey,
  missingCredentials,
  missingCredentialsMessage,
  readEnv,
  REDIS_KEYS,
  readFullEnv,
} from './cli-config';
import type { CliOutput } from './cli-output';
import { BotRecord, BotsApiClient, BotsApiError, fixFor } from './bots-api.client';
import { currentSettings } from './bot-settings';
import { EXIT_FAILED, EXIT_OK } from './exit-codes';
import { QUEUE_NAMES } from '../queue/queue-definitions';
import { FailedJobs } from './failed-jobs';
import { pingRedis } from './redis-probe';
import { CALLBACK_PATH, checkCallbackUrl } from './callback-url';

export interface DoctorOptions {
  url?: string;
  service?: string;
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

/** The CometChat checks: credentials, then the bot and each setting that must match this service. */
async function checkCometChat(options: DoctorOptions, out: CliOutput): Promise<CheckResult[]> {
  const botChecks = ['bot exists', 'bot enabled', 'webhook URL', 'group setting', 'basic auth'];
  const results: CheckResult[] = [];
  const skipRest = (why: string, from = 0) => botChecks.slice(from).map((name) => skipped(name, why));

  // Read raw: sandbox mode is about where replies go, which the credentials alone do not say.
  if (process.env.COMETCHAT_MODE === 'sandbox') {
    results.push({
      name: 'mode',
      status: 'failed',
      detail: 'COMETCHAT_MODE=sandbox: the service sends replies to its local sandbox outbox, not to CometChat',
      fix: 'unset COMETCHAT_MODE (or set it to live) before going live',
    });
  }
  const missing = missingCredentials();
  if (missing.length > 0) {
    return [
      ...results,
      { name: 'cometchat', status: 'failed', detail: missingCredentialsMessage(missing), fix: CREDENTIALS_FIX },
      ...skipRest('needs CometChat credentials'),
    ];
  }
  const env = envFor(['BOT_UID', 'COMETCHAT_APP_ID', 'COMETCHAT_REGION', 'COMETCHAT_API_KEY', 'COMETCHAT_API_URL', 'COMETCHAT_TIMEOUT_MS'] as const);
  if (!env) {
    return [
      ...results,
      skipped('cometchat', 'BOT_UID or a COMETCHAT_* variable is invalid (see configuration)'),
      ...skipRest('needs the cometchat check'),
    ];
  }
  out.addSecret(env.COMETCHAT_API_KEY);

  const api = new BotsApiClient(cometchatApiUrl(env), env.COMETCHAT_API_KEY, env.COMETCHAT_TIMEOUT_MS);
  let bot: BotRecord | null;
  try {
    bot = await api.get(env.BOT_UID);
  } catch (error) {
    if (!(error instanceof BotsApiError)) throw error;
    results.push({ name: 'cometchat', status: 'failed', detail: error.message, fix: fixFor(error, env.BOT_UID) });
    return [...results, ...skipRest('needs the cometchat check')];
  }
  results.push({ name: 'cometchat', status: 'ok', detail: `credentials accepted by ${api.baseUrl}` });
  const registerHint = `run \`register --url ${options.url ?? `https://<host>${CALLBACK_PATH}`}\``;
  if (bot === null) {
    results.push({
      name: 'bot exists',
      status: 'failed',
      detail: `CometChat has no bot for UID ${env.BOT_UID}`,
      fix: `${registerHint} (the user ${env.BOT_UID} must exist)`,
    });
    return [...results, ...skipRest('needs the bot', 1)];
  }
  out.addSecret(bot.password); // echoed in plain text by CometChat
  const current = currentSettings(bot);
  results.push({ name: 'bot exists', status: 'ok', detail: `${env.BOT_UID}, calling ${current.webhookURL || '(no webhookURL)'}` });
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

  if (!options.url) {
    results.push(skipped('webhook URL', `CometChat calls ${current.webhookURL || '(none)'}; pass --url to compare`));
  } else if (sameUrl(current.webhookURL, options.url)) {
    results.push({ name: 'webhook URL', status: 'ok', detail: options.url });
  } else {
    results.push({
      name: 'webhook URL',
      status: 'failed',
      detail: `CometChat calls ${current.webhookURL || '(none)'}, not ${options.url}`,
      fix: registerHint,
    });
  }

  const group = envFor(['GROUP_CHAT_SETTING'] as const);
  if (!group) results.push(skipped('group setting', 'GROUP_CHAT_SETTING is invalid (see configuration)'));
  else if (current.groupChatSetting === group.GROUP_CHAT_SETTING) {
    results.push({ name: 'group setting', status: 'ok', detail: current.groupChatSetting });
  } else {
    results.push({
      name: 'group setting',
      status: 'failed',
      detail: `CometChat relays ${current.groupChatSetting}, the service expects GROUP_CHAT_SETTING=${group.GROUP_CHAT_SETTING}`,
      fix: `${registerHint}, or change GROUP_CHAT_SETTING`,
    });
  }

  const auth = envFor(['WEBHOOK_USERNAME', 'WEBHOOK_PASSWORD'] as const);
  if (!auth) results.push(skipped('basic auth', 'WEBHOOK_USERNAME or WEBHOOK_PASSWORD is invalid (see configuration)'));
  else {
    out.addSecret(auth.WEBHOOK_PASSWORD);
    const problems = [
      ...(current.useBasicAuth ? [] : ['useBasicAuth is off (CometChat sends no credentials; the service answers 401)']),
      ...(current.username === auth.WEBHOOK_USERNAME ? [] : [`username is ${current.username ?? '(unset)'}, not ${auth.WEBHOOK_USERNAME}`]),
      ...(current.password === auth.WEBHOOK_PASSWORD ? [] : ['password differs from WEBHOOK_PASSWORD (not shown)']),
    ];
    results.push(
      problems.length === 0
        ? { name: 'basic auth', status: 'ok', detail: `on, username ${auth.WEBHOOK_USERNAME}, password matches` }
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

export async function doctor(options: DoctorOptions, out: CliOutput): Promise<number> {
  // A --url that register would refuse cannot be what CometChat calls; say so up front.
  if (options.url) checkCallbackUrl(options.url, true);
  const results: CheckResult[] = [checkConfiguration()];
  results.push(await checkRedis());
  results.push(...(await checkCometChat(options, out)));
  if (options.service) results.push(await checkService(options.service));
  printChecks(results, out);
  return results.some((c) => c.status === 'failed') ? EXIT_FAILED : EXIT_OK;
}

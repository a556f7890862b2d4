import type { BotDefinition } from '../config/bots-file';
import {
  CREDENTIALS_FIX,
  EVENTS_CREDENTIAL_KEYS,
  eventsCredentials,
  FILE_CREDENTIALS_FIX,
  fileCredentialsMissing,
  missingCredentials,
  managementSettings,
  missingCredentialsMessage,
  readBots,
  usesBotsFile,
} from './cli-config';
import { botCallbackUrl, checkCallbackUrl, CALLBACK_PATH } from './callback-url';
import { chooseBots } from './cli-bots';
import type { CliOutput } from './cli-output';
import { BotRecord, BotsApiClient, BotsApiError } from '../cometchat/bots-api.client';
import { fixFor } from './bots-api-fix';
import { BOT_FIELDS, BotSettings, changedFields, currentSettings, desiredSettings, describeChange, diffSettings } from './bot-settings';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit-codes';
import { appWebhookUrl, registerAppWebhooks } from './register-app-webhook';

export interface RegisterOptions {
  url: string;
  allowHttp?: boolean;
  dryRun?: boolean;
  /** The bot to register, by uid (any case); required with several bots, unless --all. */
  bot?: string;
  all?: boolean;
  /** The Management API's credentials (else COMETCHAT_MANAGEMENT_*): with them the app webhook is created, not printed. */
  managementKey?: string;
  managementSecret?: string;
  managementUrl?: string;
}

const REGISTER_ENV = [
  'BOT_UID',
  'WEBHOOK_USERNAME',
  'WEBHOOK_PASSWORD',
  'COMETCHAT_APP_ID',
  'COMETCHAT_REGION',
  'COMETCHAT_API_KEY',
  'COMETCHAT_API_URL',
  'COMETCHAT_TIMEOUT_MS',
  'GROUP_CHAT_SETTING',
  ...EVENTS_CREDENTIAL_KEYS,
] as const;

const MAX_BOT_PASSWORD = 50;

/** One bot to register: its settings, and the webhookURL CometChat is to call for it. */
interface Plan {
  bot: BotDefinition;
  webhookURL: string;
  /** Its app in BOTS_FILE, named in fixes; undefined for the single-bot variables. */
  app?: string;
}

export async function register(options: RegisterOptions, out: CliOutput): Promise<number> {
  const url = checkCallbackUrl(options.url, options.allowHttp);
  const eventsWebhookURL = appWebhookUrl(options.url, options.allowHttp);
  const fromFile = usesBotsFile();
  if (!fromFile) {
    const missing = missingCredentials();
    if (missing.length > 0)
      throw new CliError(`${missingCredentialsMessage(missing)}.\nregister talks to CometChat: ${CREDENTIALS_FIX}.`, EXIT_USAGE);
  }
  const management = managementSettings(options);
  const { env, bots } = readBots(REGISTER_ENV);
  out.addSecret(management?.key);
  out.addSecret(management?.secret);
  for (const bot of bots) {
    out.addSecret(bot.webhook.password);
    out.addSecret(bot.app.apiKey);
  }
  const several = bots.length > 1;
  // Every chosen bot is checked before CometChat is called: a usage error attempts nothing.
  const plans = chooseBots(bots, options).map((bot): Plan => {
    if (fromFile && !bot.app.apiKey) {
      throw new CliError(`${fileCredentialsMissing(bot)}.\nregister talks to CometChat: ${FILE_CREDENTIALS_FIX}.`, EXIT_USAGE);
    }
    // The service accepts up to 100 characters (CometChat's limit for webhooks); bots take at most 50.
    if (bot.webhook.password.length > MAX_BOT_PASSWORD) {
      throw new CliError(
        `${fromFile ? `the webhook password of bot ${bot.uid}` : 'WEBHOOK_PASSWORD'} is ${bot.webhook.password.length} characters; CometChat stores at most ${MAX_BOT_PASSWORD} for a bot: choose a shorter one`,
        EXIT_USAGE,
      );
    }
    // With several bots each is called at its own path, which the service routes by.
    const webhookURL = several ? botCallbackUrl(options.url, bot.uid) : options.url;
    if (several) checkCallbackUrl(webhookURL, options.allowHttp);
    return { bot, webhookURL, app: fromFile ? bot.app.name : undefined };
  });
  if (!several && !url.pathname.endsWith(CALLBACK_PATH)) {
    out.error(`note: the service takes callbacks at ${CALLBACK_PATH}; ${options.url} does not end with it`);
  }

  let code = EXIT_OK;
  for (const plan of plans) code = Math.max(code, await registerBot(plan, options, env.COMETCHAT_TIMEOUT_MS, out));
  // The bot callback carries new messages only; edits, deletes and reactions need the app webhook (one an app).
  const appWebhooks = await registerAppWebhooks(
    {
      webhookURL: eventsWebhookURL,
      dryRun: options.dryRun,
      apps: plans.map((plan) => plan.bot.app),
      credentials: eventsCredentials(env),
      management,
      timeoutMs: env.COMETCHAT_TIMEOUT_MS,
    },
    out,
  );
  return Math.max(code, appWebhooks);
}

/** Creates the bot, or updates the fields that differ; exit 1 when CometChat refuses (with the fix). */
async function registerBot({ bot: definition, webhookURL, app }: Plan, options: RegisterOptions, timeoutMs: number, out: CliOutput): Promise<number> {
  const api = new BotsApiClient(definition.app.apiUrl, definition.app.apiKey ?? '', timeoutMs);
  const uid = definition.uid;
  const desired = desiredSettings({
    webhookURL,
    groupChatSetting: definition.groupChatSetting,
    username: definition.webhook.username,
    password: definition.webhook.password,
  });
  const dry = options.dryRun ? ' (dry run: nothing sent)' : '';

  try {
    const bot = await api.get(uid);
    if (bot === null) {
      out.line(`${options.dryRun ? 'would create' : 'creating'} bot ${uid} in CometChat (${api.baseUrl})${dry}`);
      for (const field of BOT_FIELDS) out.line(`  ${describeChange({ field, from: undefined, to: desired[field] }, true)}`);
      if (options.dryRun) return EXIT_OK;
      const created = await api.create({ uid, ...desired });
      out.addSecret(created?.password);
      out.line(`created bot ${uid}`);
      return verify(created, desired, out);
    }

    out.addSecret(bot.password); // CometChat echoes the stored password in plain text
    const changes = diffSettings(currentSettings(bot), desired);
    if (changes.length === 0) {
      out.line(`bot ${uid} is up to date in CometChat: no changes`);
      return EXIT_OK;
    }
    out.line(`${options.dryRun ? 'would update' : 'updating'} bot ${uid} in CometChat (${api.baseUrl})${dry}`);
    for (const change of changes) out.line(`  ${describeChange(change)}`);
    if (options.dryRun) return EXIT_OK;
    const updated = await api.update(uid, changedFields(changes));
    out.addSecret(updated?.password);
    out.line(`updated bot ${uid}: ${changes.length} field${changes.length > 1 ? 's' : ''} changed`);
    return verify(updated, desired, out);
  } catch (error) {
    if (!(error instanceof BotsApiError)) throw error;
    out.error(`error: ${error.message}`);
    out.error(`fix: ${fixFor(error, uid, app)}`);
    return EXIT_FAILED;
  }
}

/** CometChat's answer must show what was asked (Create discards credentials without useBasicAuth, for one). */
function verify(answer: BotRecord | undefined, desired: BotSettings, out: CliOutput): number {
  if (!answer) return EXIT_OK; // no bot in the answer: nothing to compare; `doctor` checks it
  const left = diffSettings(currentSettings(answer), desired);
  if (left.length === 0) return EXIT_OK;
  out.error(`CometChat's answer does not show every change: ${left.map((c) => c.field).join(', ')}; run \`doctor\` to check`);
  return EXIT_FAILED;
}

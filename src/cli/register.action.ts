import { cometchatApiUrl, CREDENTIALS_FIX, missingCredentials, missingCredentialsMessage, readEnv } from './cli-config';
import { checkCallbackUrl, CALLBACK_PATH } from './callback-url';
import type { CliOutput } from './cli-output';
import { BotRecord, BotsApiClient, BotsApiError, fixFor } from './bots-api.client';
import { BOT_FIELDS, BotSettings, changedFields, currentSettings, desiredSettings, describeChange, diffSettings } from './bot-settings';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit-codes';

export interface RegisterOptions {
  url: string;
  allowHttp?: boolean;
  dryRun?: boolean;
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
] as const;

const MAX_BOT_PASSWORD = 50;

export async function register(options: RegisterOptions, out: CliOutput): Promise<number> {
  const url = checkCallbackUrl(options.url, options.allowHttp);
  const missing = missingCredentials();
  if (missing.length > 0) throw new CliError(`${missingCredentialsMessage(missing)}.\nregister talks to CometChat: ${CREDENTIALS_FIX}.`, EXIT_USAGE);
  const env = readEnv(REGISTER_ENV);
  out.addSecret(env.WEBHOOK_PASSWORD);
  out.addSecret(env.COMETCHAT_API_KEY);
  // The service accepts up to 100 characters (CometChat's limit for webhooks); bots take at most 50.
  if (env.WEBHOOK_PASSWORD.length > MAX_BOT_PASSWORD) {
    throw new CliError(
      `WEBHOOK_PASSWORD is ${env.WEBHOOK_PASSWORD.length} characters; CometChat stores at most ${MAX_BOT_PASSWORD} for a bot: choose a shorter one`,
      EXIT_USAGE,
    );
  }
  if (!url.pathname.endsWith(CALLBACK_PATH)) {
    out.error(`note: the service takes callbacks at ${CALLBACK_PATH}; ${options.url} does not end with it`);
  }

  const api = new BotsApiClient(cometchatApiUrl(env), env.COMETCHAT_API_KEY, env.COMETCHAT_TIMEOUT_MS);
  const uid = env.BOT_UID;
  const desired = desiredSettings({
    webhookURL: options.url,
    groupChatSetting: env.GROUP_CHAT_SETTING,
    username: env.WEBHOOK_USERNAME,
    password: env.WEBHOOK_PASSWORD,
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
    out.error(`fix: ${fixFor(error, uid)}`);
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

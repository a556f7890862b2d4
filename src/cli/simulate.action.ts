import { readFileSync } from 'node:fs';
import { basicAuthHeader } from '../common/basic-auth';
import { botCallbackUrl, CALLBACK_PATH, webhookUrl } from './callback-url';
import { chooseBot } from './cli-bots';
import { readBots, usesBotsFile } from './cli-config';
import type { CliOutput } from './cli-output';
import { EXIT_FAILED, EXIT_OK, UsageError } from './exit-codes';
import { freshMessageId, simulatedCallback } from './simulated-callback';

export interface SimulateOptions {
  group?: string;
  sender: string;
  mention?: boolean;
  fixture?: string;
  keepId?: boolean;
  repeat: number;
  newIds?: boolean;
  url?: string;
  timeout: number;
  /** The bot the message is to, by uid (any case); required with several bots. */
  bot?: string;
}

/** A callback to post: the fields this command reads (a fixture may hold anything), the rest passed on as it is. */
interface Callback {
  data: { id?: string; sender?: string; receiver?: string; receiverType?: string; category?: string; type?: string; data?: { text?: unknown } };
  [field: string]: unknown;
}

function readFixture(file: string): Callback {
  let callback: unknown;
  try {
    callback = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--fixture ${file}: ${(error as Error).message}`);
  }
  if (typeof callback !== 'object' || callback === null || typeof (callback as { data?: unknown }).data !== 'object') {
    throw new UsageError(`--fixture ${file}: not a callback (a JSON object with a "data" object)`);
  }
  return callback as Callback;
}

export async function simulate(text: string | undefined, options: SimulateOptions, out: CliOutput): Promise<number> {
  if (text === undefined && !options.fixture) throw new UsageError('give the message text, or --fixture <file>');
  if (text !== undefined && options.fixture) throw new UsageError('give either the message text or --fixture, not both');
  if (options.keepId && !options.fixture) throw new UsageError('--keep-id goes with --fixture');
  if (options.keepId && options.newIds) throw new UsageError('--keep-id and --new-ids contradict each other');

  const { env, bots } = readBots(['BOT_UID', 'WEBHOOK_USERNAME', 'WEBHOOK_PASSWORD', ...(options.url ? [] : (['PORT'] as const))]);
  for (const each of bots) out.addSecret(each.webhook.password);
  const bot = chooseBot(bots, options.bot);
  // With several bots, each is posted to at its own path, which the service routes by; one bot keeps the plain path.
  const several = bots.length > 1;
  const url = several
    ? botCallbackUrl(options.url ?? `http://127.0.0.1:${env.PORT}`, bot.uid)
    : options.url
      ? webhookUrl(options.url)
      : `http://127.0.0.1:${env.PORT}${CALLBACK_PATH}`;
  const authorization = basicAuthHeader(bot.webhook.username, bot.webhook.password);
  // The single-bot variables as given (an unset one leaves the callback's own default); BOTS_FILE's app, resolved.
  const app = usesBotsFile() ? bot.app : { appId: process.env.COMETCHAT_APP_ID || undefined, region: process.env.COMETCHAT_REGION || undefined };

  const template = options.fixture ? readFixture(options.fixture) : undefined;
  const build = (): Callback => {
    if (template) {
      const callback = structuredClone(template);
      if (!options.keepId) callback.data.id = freshMessageId();
      if (several) callback.bot = bot.uid;
      return callback;
    }
    return simulatedCallback({
      id: freshMessageId(),
      text: text!,
      botUid: bot.uid,
      sender: options.sender,
      group: options.group,
      mention: options.mention,
      appId: app.appId,
      region: app.region,
    }) as Callback;
  };

  let callback = build();
  const message = callback.data;
  const to = message.receiverType === 'group' ? `group ${message.receiver}` : String(message.receiver);
  const body = typeof message.data?.text === 'string' ? `: ${JSON.stringify(message.data.text)}` : ` (${message.category}/${message.type})`;
  out.line(`POST ${url}: message ${message.id} from ${message.sender} to ${to}${body}`);

  let failed = false;
  for (let n = 1; n <= options.repeat; n++) {
    if (n > 1 && options.newIds) callback = { ...callback, data: { ...callback.data, id: freshMessageId() } };
    const label = options.repeat > 1 ? `#${n} ` : '';
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify(callback),
        signal: AbortSignal.timeout(options.timeout),
      });
      const answer = (await response.text()).trim();
      out.line(`${label}${response.status} ${answer}`);
      if (response.status < 200 || response.status >= 300) failed = true;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      out.error(`${label}no answer from ${url}: ${cause}; is the service running? (start it, or pass --url)`);
      return EXIT_FAILED;
    }
  }
  return failed ? EXIT_FAILED : EXIT_OK;
}

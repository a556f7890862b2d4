import { readFileSync } from 'node:fs';
import { basicAuthHeader } from '../common/basic-auth';
import { CALLBACK_PATH, webhookUrl } from './callback-url';
import { readEnv } from './cli-config';
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

  const env = readEnv(['BOT_UID', 'WEBHOOK_USERNAME', 'WEBHOOK_PASSWORD', ...(options.url ? [] : (['PORT'] as const))]);
  out.addSecret(env.WEBHOOK_PASSWORD);
  const url = options.url ? webhookUrl(options.url) : `http://127.0.0.1:${env.PORT}${CALLBACK_PATH}`;
  const authorization = basicAuthHeader(env.WEBHOOK_USERNAME, env.WEBHOOK_PASSWORD);

  const template = options.fixture ? readFixture(options.fixture) : undefined;
  const build = (): Callback => {
    if (template) {
      const callback = structuredClone(template);
      if (!options.keepId) callback.data.id = freshMessageId();
      return callback;
    }
    return simulatedCallback({
      id: freshMessageId(),
      text: text!,
      botUid: env.BOT_UID,
      sender: options.sender,
      group: options.group,
      mention: options.mention,
      appId: process.env.COMETCHAT_APP_ID || undefined,
      region: process.env.COMETCHAT_REGION || undefined,
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

import { UsageError } from './exit-codes';

/** Where the service takes CometChat's callbacks. */
export const CALLBACK_PATH = '/webhooks/cometchat';
// CometChat's documented limit for webhookURL.
const MAX_URL_LENGTH = 255;

/** A callback URL for CometChat: https (http only with --allow-http) and within CometChat's length limit. */
export function checkCallbackUrl(raw: string, allowHttp = false): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url ${raw} is not a URL; expected https://<host>${CALLBACK_PATH}`);
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw new UsageError(`--url must be https:// (CometChat calls HTTPS endpoints only); got ${url.protocol}// (--allow-http for local tests)`);
  }
  if (raw.length > MAX_URL_LENGTH) throw new UsageError(`--url is ${raw.length} characters; CometChat accepts at most ${MAX_URL_LENGTH}`);
  return url;
}

/** The service's webhook URL from what an operator typed: a bare base URL gets the callback path. */
export function webhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url ${raw} is not a URL`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = CALLBACK_PATH;
  return url.toString();
}

/**
 * A bot's callback URL in a deployment of several bots: its own path, `{url}/webhooks/cometchat/{uid}`, where the
 * URL given is the service's (a bare or prefixed base URL, or one ending with the callback path, or already with
 * this bot's own path). Another bot's path is a usage error rather than a URL nobody serves.
 */
export function botCallbackUrl(raw: string, uid: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url ${raw} is not a URL`);
  }
  const own = `${CALLBACK_PATH}/${encodeURIComponent(uid)}`;
  const path = url.pathname.replace(/\/+$/, '');
  if (path.toLowerCase().endsWith(own.toLowerCase())) return url.toString();
  if (path.endsWith(CALLBACK_PATH)) url.pathname = `${path}/${encodeURIComponent(uid)}`;
  else if (path.includes(`${CALLBACK_PATH}/`)) {
    throw new UsageError(
      `--url ${raw} is a bot's own callback URL, not bot ${uid}'s: with several bots give the service's URL (https://<host>); each bot gets {url}${CALLBACK_PATH}/{uid}`,
    );
  } else url.pathname = `${path}${own}`;
  return url.toString();
}

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

import type { EnvironmentVariables } from '../config/env.validation';

export const SANDBOX_PAGE_PATH = '/sandbox';

/** The chat page is served by processes that take HTTP traffic, in sandbox mode or when SANDBOX_UI asks for it. */
export function servesSandboxPage(env: Pick<EnvironmentVariables, 'APP_ROLE' | 'COMETCHAT_MODE' | 'SANDBOX_UI'>): boolean {
  return env.APP_ROLE !== 'worker' && (env.COMETCHAT_MODE === 'sandbox' || env.SANDBOX_UI);
}

/** The page posts to the webhook with its credentials, so on a live bot it is an unauthenticated way in. */
export const LIVE_SANDBOX_PAGE_WARNING =
  'SANDBOX_UI=true on a live bot: anyone who reaches /sandbox can post messages as any user through the webhook, ' +
  'and the bot answers them in CometChat. Serve it only on a trusted network.';

/**
 * The one boot warning of sandbox mode, boxed so it cannot be missed in a log: an operator who meant to run a
 * live bot learns at once that nothing reaches CometChat.
 */
export function sandboxBanner(
  env: Pick<EnvironmentVariables, 'APP_ROLE' | 'COMETCHAT_MODE' | 'COMETCHAT_API_KEY' | 'SANDBOX_UI' | 'QUEUE_PREFIX' | 'PORT' | 'BOTS_FILE'>,
): string {
  // With BOTS_FILE the keys are its apps' and COMETCHAT_API_KEY only the first app's: which of the two it was is not known here.
  const why =
    env.BOTS_FILE !== undefined
      ? 'COMETCHAT_MODE=sandbox, or no app of BOTS_FILE has an apiKey'
      : env.COMETCHAT_API_KEY
        ? 'COMETCHAT_MODE=sandbox'
        : 'COMETCHAT_API_KEY is not set';
  const goLive =
    env.BOTS_FILE === undefined
      ? ['To go live: set COMETCHAT_APP_ID, COMETCHAT_REGION and COMETCHAT_API_KEY,', 'and leave COMETCHAT_MODE unset (or set it to live).']
      : ['To go live: give each app of BOTS_FILE its apiKey, and leave COMETCHAT_MODE', 'unset (or set it to live).'];
  const lines = [
    'SANDBOX MODE: replies are NOT sent to CometChat.',
    `They go to the local sandbox outbox in Redis (${env.QUEUE_PREFIX}:sandbox:outbox).`,
    `Why: ${why}.`,
    ...(servesSandboxPage(env) ? [`Chat with the bot at http://localhost:${env.PORT}${SANDBOX_PAGE_PATH}`] : []),
    ...goLive,
  ];
  const width = Math.max(...lines.map((line) => line.length));
  const rule = '═'.repeat(width + 2);
  return ['', `╔${rule}╗`, ...lines.map((line) => `║ ${line.padEnd(width)} ║`), `╚${rule}╝`].join('\n');
}

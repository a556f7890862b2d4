import type { BotsApiError } from '../cometchat/bots-api.client';

/**
 * What to do about a failed Bots API call, in one line. `app`: the bot's app in BOTS_FILE, whose settings are then
 * the ones to check (else the COMETCHAT_* variables).
 */
export function fixFor(error: BotsApiError, botUid: string, app?: string): string {
  switch (error.kind) {
    case 'unreachable':
      return app === undefined
        ? 'check COMETCHAT_APP_ID and COMETCHAT_REGION (or COMETCHAT_API_URL) and that this machine reaches CometChat'
        : `check appId and region (or apiUrl) of app ${app} in BOTS_FILE and that this machine reaches CometChat`;
    case 'auth':
      return `${app === undefined ? 'check COMETCHAT_APP_ID, COMETCHAT_REGION and COMETCHAT_API_KEY' : `check appId, region and apiKey of app ${app} in BOTS_FILE`}: the key must be a full-access REST API key (Dashboard → API & Auth Keys)`;
    case 'uid-not-found':
      return `create the user "${botUid}" first (Dashboard → Users, or POST /v3/users), then run register again`;
    default:
      return "see CometChat's answer above; run with the same settings once fixed";
  }
}

import { Command } from 'commander';
import { EVENTS_PATH, EVENTS_TRIGGER_IDS } from './app-webhook';
import { CALLBACK_PATH } from './callback-url';
import { act, CliContext } from './cli-context';
import type { RegisterOptions } from './register.action';

export function addRegisterCommand(program: Command, ctx: CliContext): void {
  program
    .command('register')
    .description(
      'create or update the bot in CometChat (Bots API) so that it calls this service, and the app webhook for edits, deletes and reactions',
    )
    .requiredOption(
      '--url <url>',
      `the public callback URL CometChat will POST to, https://<host>${CALLBACK_PATH} (several bots: each bot's path is added)`,
    )
    .option('--allow-http', 'accept an http:// URL (local tests only: CometChat requires HTTPS)')
    .option('--dry-run', 'print what would change and change nothing')
    .option('--bot <uid>', 'with several bots (BOTS_FILE): the bot to register, by uid')
    .option('--all', 'with several bots: register every bot')
    .option('--management-key <key>', "the Management API's key (else COMETCHAT_MANAGEMENT_KEY): create the app webhook rather than print it")
    .option('--management-secret <secret>', "the Management API's secret (else COMETCHAT_MANAGEMENT_SECRET; prefer the variable: options show in ps)")
    .option('--management-url <url>', 'the Management API (else COMETCHAT_MANAGEMENT_API_URL, default https://apimgmt.cometchat.io)')
    .addHelpText(
      'after',
      `
Sets, for the bot BOT_UID: webhookURL (--url), groupChatSetting (GROUP_CHAT_SETTING), enabled true,
useBasicAuth true with username/password WEBHOOK_USERNAME/WEBHOOK_PASSWORD. Creates the bot when CometChat
has none for BOT_UID (the user must exist), otherwise sends only the fields that differ; a second run
changes nothing. Prints each change; the password is never printed.
Needs: BOT_UID, WEBHOOK_USERNAME, WEBHOOK_PASSWORD, COMETCHAT_APP_ID, COMETCHAT_REGION, COMETCHAT_API_KEY.

With BOTS_FILE, each bot with its own app (apiUrl, apiKey), webhook credentials and groupChatSetting. With several
bots, pass --bot UID or --all; each bot calls its own path: --url is the service's URL and a bot's webhookURL
is {url}${CALLBACK_PATH}/{uid}.

Then the app webhook that brings edits, deletes and reactions (one per app): {url's base}${EVENTS_PATH}, Basic Auth
EVENTS_WEBHOOK_USERNAME/EVENTS_WEBHOOK_PASSWORD (default WEBHOOK_*), triggers ${EVENTS_TRIGGER_IDS.join(', ')},
retryOnFailure and enabled on. Printed for the dashboard; with the Management API's key and secret
(COMETCHAT_MANAGEMENT_KEY, COMETCHAT_MANAGEMENT_SECRET) created, or updated where it differs. See docs/app-webhooks.md.

Examples:
  $ npm run cli -- register --url https://bot.example.com${CALLBACK_PATH}
  $ node dist/cli/main.js register --url https://bot.example.com${CALLBACK_PATH} --dry-run
  $ npm run cli -- register --all --url https://bot.example.com`,
    )
    .action(act(ctx, async (options: RegisterOptions) => (await import('./register.action')).register(options, ctx.output)));
}

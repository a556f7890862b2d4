import { Command } from 'commander';
import { EVENTS_PATH, IGNORED_TRIGGER } from './app-webhook';
import { CALLBACK_PATH } from './callback-url';
import { act, CliContext } from './cli-context';
import type { DoctorOptions } from './doctor.action';

// Kept in step with the checks in doctor.action.ts (2 s: REDIS_PROBE_TIMEOUT_MS).
export function addDoctorCommand(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('check the configuration, Redis, and the bot in CometChat against this service; print each check with a fix')
    .option(
      '--url <url>',
      `the callback URL CometChat should call (https://<host>${CALLBACK_PATH}); compared with the bot's webhookURL, and the events route is tried there`,
    )
    .option('--service <url>', 'also check that the running service answers GET /health/ready there (e.g. http://127.0.0.1:3000)')
    .option('--bot <uid>', "with several bots (BOTS_FILE): check only this bot's CometChat setup (default: every bot)")
    .addHelpText(
      'after',
      `
Checks, each printed as ok / failed (with a one-line fix) / skipped (its prerequisite failed or was not given):
  configuration       every variable valid, as the service would boot (lists each bad one)
  redis               PING answered within 2 s (also counts failed jobs)
  cometchat           the credentials work (GET /bots/BOT_UID)
  bot exists          CometChat has a bot for BOT_UID
  bot enabled         the bot is enabled (a disabled bot relays nothing)
  webhook URL         the bot's webhookURL equals --url
  group setting       the bot's groupChatSetting equals GROUP_CHAT_SETTING
  basic auth          useBasicAuth is on with WEBHOOK_USERNAME and WEBHOOK_PASSWORD (never printed)
  service             --service answers /health/ready with 2xx
  events route        POST {url's base}${EVENTS_PATH} (the app webhooks) with EVENTS_WEBHOOK_USERNAME and
                      EVENTS_WEBHOOK_PASSWORD (default WEBHOOK_*): a ${IGNORED_TRIGGER} answered 200 ignored;
                      at --service when no --url is given
With BOTS_FILE, the CometChat checks run for each bot (or --bot's) with its own app and settings. With several
bots each check is named [uid], and --url is the service's URL: a bot's expected webhookURL is
{url}${CALLBACK_PATH}/{uid}.
Exit 1 if any check failed (configuration included), 0 otherwise.

Examples:
  $ npm run cli -- doctor --url https://bot.example.com${CALLBACK_PATH}
  $ docker compose run --rm bot node dist/cli/main.js doctor --service http://bot:3000
  $ npm run cli -- doctor --bot sales-bot --url https://bot.example.com`,
    )
    .action(act(ctx, async (options: DoctorOptions) => (await import('./doctor.action')).doctor(options, ctx.output)));
}

import { Command } from 'commander';
import { CALLBACK_PATH } from './callback-url';
import { act, CliContext } from './cli-context';
import type { RegisterOptions } from './register.action';

export function addRegisterCommand(program: Command, ctx: CliContext): void {
  program
    .command('register')
    .description('create or update the bot in CometChat (Bots API) so that it calls this service')
    .requiredOption('--url <url>', `the public callback URL CometChat will POST to, https://<host>${CALLBACK_PATH}`)
    .option('--allow-http', 'accept an http:// URL (local tests only: CometChat requires HTTPS)')
    .option('--dry-run', 'print what would change and change nothing')
    .addHelpText(
      'after',
      `
Sets, for the bot BOT_UID: webhookURL (--url), groupChatSetting (GROUP_CHAT_SETTING), enabled true,
useBasicAuth true with username/password WEBHOOK_USERNAME/WEBHOOK_PASSWORD. Creates the bot when CometChat
has none for BOT_UID (the user must exist), otherwise sends only the fields that differ; a second run
changes nothing. Prints each change; the password is never printed.
Needs: BOT_UID, WEBHOOK_USERNAME, WEBHOOK_PASSWORD, COMETCHAT_APP_ID, COMETCHAT_REGION, COMETCHAT_API_KEY.

Examples:
  $ npm run cli -- register --url https://bot.example.com${CALLBACK_PATH}
  $ node dist/cli/main.js register --url https://bot.example.com${CALLBACK_PATH} --dry-run`,
    )
    .action(act(ctx, async (options: RegisterOptions) => (await import('./register.action')).register(options, ctx.output)));
}

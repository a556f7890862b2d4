import { Command, Option } from 'commander';
import { act, CliContext } from './cli-context';
import { positiveInt } from './cli-options';
import type { SimulateOptions } from './simulate.action';

export function addSimulateCommand(program: Command, ctx: CliContext): void {
  program
    .command('simulate')
    .description('post a CometChat-shaped callback to a running service, with its Basic Auth, and print the answers')
    .argument('[text]', 'the message text (or use --fixture)')
    .addOption(new Option('-g, --group <guid>', 'send it in this group instead of one-to-one to the bot').conflicts('fixture'))
    .addOption(new Option('-s, --sender <uid>', 'who sends it').default('cli-user').conflicts('fixture'))
    .addOption(new Option('-m, --mention', 'mention the bot (<@uid:BOT_UID> and data.mentions)').conflicts('fixture'))
    .option('-f, --fixture <file>', 'post this callback JSON file instead (e.g. test/fixtures/user-text.json), with a fresh message id')
    .option('--keep-id', "with --fixture: keep the file's message id")
    .option('-n, --repeat <n>', 'post it n times', positiveInt('--repeat', 1000), 1)
    .option('--new-ids', 'with --repeat: a fresh message id for each post (otherwise the same id: a redelivery)')
    .option('--url <url>', 'the webhook URL (default http://127.0.0.1:$PORT/webhooks/cometchat)')
    .option('--timeout <ms>', 'how long to wait for each answer', positiveInt('--timeout', 600_000), 10_000)
    .option('--bot <uid>', 'with several bots (BOTS_FILE): the bot the message is to, by uid')
    .addHelpText(
      'after',
      `
Each post prints its answer: the HTTP status and the body ({"status":"accepted"|"duplicate"|"ignored",…}).
With --repeat the same message id is posted each time, as CometChat would redeliver it: the first is
"accepted", the rest "duplicate" (the service deduplicates for 24 h). --new-ids sends distinct messages.
Fails (exit 1) if any answer is not 2xx or the service cannot be reached.
Needs: BOT_UID, WEBHOOK_USERNAME, WEBHOOK_PASSWORD (and PORT when --url is not given).
With several bots (BOTS_FILE), --bot is required: the callback is that bot's (its "bot" field, a fixture's too),
posted with its webhook credentials to its own path, {url}/webhooks/cometchat/{uid}.

Examples:
  $ npm run cli -- simulate "hello bot"
  $ npm run cli -- simulate "what's up?" --group ops-room --mention --sender alice
  $ npm run cli -- simulate "/help" --repeat 2
  $ npm run cli -- simulate --fixture test/fixtures/group-mention.json
  $ docker compose run --rm bot node dist/cli/main.js simulate "hi" --url http://bot:3000
  $ npm run cli -- simulate "hello" --bot sales-bot`,
    )
    .action(
      act(ctx, async (text: string | undefined, options: SimulateOptions) => (await import('./simulate.action')).simulate(text, options, ctx.output)),
    );
}

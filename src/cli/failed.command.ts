import { Command, Option } from 'commander';
import { act, CliContext } from './cli-context';
import { positiveInt } from './cli-options';
import { UsageError } from './exit-codes';
import type { ActOptions, ListOptions } from './failed.action';

const queueOption = () => new Option('-q, --queue <name>', 'which queue').choices(['events', 'replies', 'all']).default('all');
const botOption = () => new Option('--bot <uid>', "only this bot's jobs (with several bots, BOTS_FILE; needs BOT_UID or BOTS_FILE)");

export function addFailedCommand(program: Command, ctx: CliContext): void {
  const failed = program
    .command('failed')
    .description('inspect and re-drive failed events (responder turns) and replies (sends to CometChat)')
    .addHelpText(
      'after',
      `
Failed jobs are kept 7 days. Events are messages whose responder turn failed for good; replies are messages
CometChat refused (4xx) or that ran out of attempts. Needs only REDIS_URL and QUEUE_PREFIX.
With several bots (BOTS_FILE), --bot UID keeps to that bot's jobs (an event's callback "bot", a reply's target);
with one bot, every job is its.

Examples:
  $ npm run cli -- failed list
  $ npm run cli -- failed list --queue replies --json
  $ npm run cli -- failed retry reply-1717000000000-0
  $ npm run cli -- failed retry --all --queue events
  $ npm run cli -- failed discard --all
  $ npm run cli -- failed retry --all --bot sales-bot`,
    );

  failed
    .command('list')
    .description('list failed jobs, most recent first')
    .addOption(queueOption())
    .option('-l, --limit <n>', 'at most n jobs per queue', positiveInt('--limit', 100_000), 20)
    .option('--json', 'print a JSON array (id, queue, attempts, failedReason, finishedOn, message or reply)')
    .addOption(botOption())
    .action(act(ctx, async (options: ListOptions) => (await import('./failed.action')).list(options, ctx.output)));

  failed
    .command('retry')
    .description('move a failed job (or --all) back to waiting, with its attempts reset')
    .argument('[id]', 'the job id, as `failed list` shows it')
    .option('-a, --all', 'every failed job of --queue (and --bot)')
    .addOption(queueOption())
    .addOption(botOption())
    .addHelpText(
      'after',
      `
A retried event takes its place in its conversation's line again and runs its responders when its turn comes;
a retried reply is sent unless CometChat already confirmed it.`,
    )
    .action(
      act(ctx, async (id: string | undefined, options: ActOptions) => {
        checkTarget(id, options);
        return (await import('./failed.action')).apply(id, options, ctx.output, 'retry');
      }),
    );

  failed
    .command('discard')
    .description('remove a failed job (or --all) for good')
    .argument('[id]', 'the job id, as `failed list` shows it')
    .option('-a, --all', 'every failed job of --queue (and --bot)')
    .addOption(queueOption())
    .addOption(botOption())
    .addHelpText(
      'after',
      `
Discarding an event also frees its message id: if CometChat redelivers that message, it is accepted again.`,
    )
    .action(
      act(ctx, async (id: string | undefined, options: ActOptions) => {
        checkTarget(id, options);
        return (await import('./failed.action')).apply(id, options, ctx.output, 'discard');
      }),
    );
}

function checkTarget(id: string | undefined, options: ActOptions): void {
  if (id !== undefined && options.all) throw new UsageError('give a job id or --all, not both');
  if (id === undefined && !options.all) throw new UsageError('give a job id (see `failed list`) or --all');
}

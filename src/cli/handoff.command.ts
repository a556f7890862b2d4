import { Command } from 'commander';
import { act, CliContext } from './cli-context';
import type { ListHandoffsOptions } from './handoff.action';

export function addHandoffCommand(program: Command, ctx: CliContext): void {
  const handoff = program
    .command('handoff')
    .description('see the conversations handed to people (/human), and give one back to the bot')
    .addHelpText(
      'after',
      `
A conversation handed to people (by /human, or the LLM's handoff tool) gets no answer from the bot until the user
sends /bot, \`handoff resume\` runs, or HANDOFF_TIMEOUT_MS passes. A conversation is named as the service names it:
user-<uid> or group-<guid>, and with several bots (BOTS_FILE) <bot uid>/user-<uid>. Needs only REDIS_URL and QUEUE_PREFIX.

Examples:
  $ npm run cli -- handoff list
  $ npm run cli -- handoff list --json
  $ npm run cli -- handoff resume user-ana
  $ npm run cli -- handoff resume support-bot/group-vip-customers`,
    );

  handoff
    .command('list')
    .description('list the conversations handed to people, the longest-held first, with since when')
    .option('--json', 'print a JSON array (conversation, since, until, by)')
    .action(act(ctx, async (options: ListHandoffsOptions) => (await import('./handoff.action')).list(options, ctx.output)));

  handoff
    .command('resume')
    .description('give a handed-off conversation back to the bot now (the user is not told; their next message is answered)')
    .argument('<conversation>', 'the conversation, as `handoff list` shows it (user-ana, support-bot/user-ana)')
    .action(act(ctx, async (conversation: string) => (await import('./handoff.action')).resume(conversation, ctx.output)));
}

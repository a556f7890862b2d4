import type { BotDefinition } from '../config/bots-file';
import { UsageError } from './exit-codes';

/** The configured bots' uids, for a usage error: the operator's own configuration, and no secret. */
const uidsOf = (bots: readonly BotDefinition[]) => bots.map((bot) => bot.uid).join(', ');

/** The bot `--bot` names, in any case (CometChat lowercases uids); an unknown one is a usage error. */
export function botNamed(bots: readonly BotDefinition[], wanted: string): BotDefinition {
  const uid = wanted.trim().toLowerCase();
  const bot = bots.find((candidate) => candidate.uid === uid);
  if (!bot) throw new UsageError(`--bot ${wanted}: this deployment has no such bot (its bots: ${uidsOf(bots)})`);
  return bot;
}

/** The one bot a command acts on: `--bot`'s, or the only one; with several, `--bot` (or `alternative`) is required. */
export function chooseBot(bots: readonly BotDefinition[], wanted: string | undefined, alternative = ''): BotDefinition {
  if (wanted !== undefined) return botNamed(bots, wanted);
  if (bots.length === 1) return bots[0];
  throw new UsageError(`${bots.length} bots are configured (${uidsOf(bots)}): pass --bot UID${alternative}`);
}

/** `--bot UID`'s bot, or with `--all` every bot. */
export function chooseBots(bots: readonly BotDefinition[], options: { bot?: string; all?: boolean }): BotDefinition[] {
  if (options.bot !== undefined && options.all) throw new UsageError('give --bot UID or --all, not both');
  return options.all ? [...bots] : [chooseBot(bots, options.bot, ' to act on one, or --all for every one')];
}

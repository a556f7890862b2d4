import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { cometchatConfig, CometChatConfig } from '../config/app.config';
import { ServedBot, ServedBots } from '../config/served-bots';
import { BotsApiClient, BotsApiError } from './bots-api.client';

/** What a bot's app refused at the boot check: the bot, and why in words without a secret. */
export interface RefusedCredentials {
  bot: string;
  reason: string;
}

/** The first wait before asking again when CometChat did not answer; each later wait doubles, up to the last. */
export const RECHECK_FIRST_MS = 5_000;
export const RECHECK_MAX_MS = 5 * 60_000;

/**
 * Asks CometChat once, at boot, whether each bot's app takes its credentials (GET /bots/{uid} with the app's key, as
 * `doctor` does), so that readiness names a bot whose replies would all be refused, before a message is lost to it.
 *
 * Only an answer decides: a key refused (401, 403, AUTH_ERR_*) or a UID the app does not know marks the bot refused
 * for the life of the process (a key changes with a redeploy, which checks again). No answer (the network, a 5xx, a
 * 429) decides nothing: the bot stays unconfirmed, which is not refused, and is asked again in the background (5 s,
 * doubling up to 5 min) until CometChat answers, so a network blip at boot neither fails readiness nor hides a bad key.
 * A bot the app has but not as a bot (ERR_BOT_NOT_FOUND: not registered yet, or an AI agent) has its key accepted.
 *
 * Part of the live CometChat module, so it runs where replies are sent (APP_ROLE worker or all), never in sandbox mode.
 */
@Injectable()
export class AppCredentialsCheck implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AppCredentialsCheck.name);
  private readonly refusals = new Map<string, string>();
  private readonly unanswered = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly bots: ServedBots,
    @Inject(cometchatConfig.KEY) private readonly config: Pick<CometChatConfig, 'timeoutMs'>,
  ) {}

  /** Not awaited: boot never waits on CometChat; until it answers, a bot is unconfirmed. */
  onApplicationBootstrap(): void {
    for (const bot of this.bots.all) {
      if (bot.app.apiKey === undefined) continue;
      const client = new BotsApiClient(bot.app.apiUrl, bot.app.apiKey, this.config.timeoutMs);
      this.unanswered.add(bot.uid);
      this.check(bot, client, RECHECK_FIRST_MS);
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** The bots whose app refused its credentials, with why. */
  refused(): RefusedCredentials[] {
    return [...this.refusals].map(([bot, reason]) => ({ bot, reason }));
  }

  /** The bots CometChat has not answered for yet. */
  unconfirmed(): string[] {
    return [...this.unanswered];
  }

  private check(bot: ServedBot, client: BotsApiClient, nextWaitMs: number): void {
    client.get(bot.uid).then(
      (record) => {
        this.unanswered.delete(bot.uid);
        if (record === null) {
          this.logger.warn({
            msg: 'bot not registered',
            bot: bot.uid,
            app: bot.app.name,
            reason: 'its app has no bot of this UID: CometChat will not call it',
          });
        }
      },
      (error: unknown) => {
        const refusal = error instanceof BotsApiError ? refusalOf(error, bot) : undefined;
        if (refusal !== undefined) {
          this.unanswered.delete(bot.uid);
          this.refusals.set(bot.uid, refusal);
          this.logger.error({ msg: 'app credentials refused', bot: bot.uid, app: bot.app.name, reason: refusal });
          return;
        }
        if (this.stopped) return;
        this.logger.warn({
          msg: 'app credentials unconfirmed',
          bot: bot.uid,
          app: bot.app.name,
          reason: (error as Error).message,
          retryInMs: nextWaitMs,
        });
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.check(bot, client, Math.min(nextWaitMs * 2, RECHECK_MAX_MS));
        }, nextWaitMs);
        timer.unref();
        this.timers.add(timer);
      },
    );
  }
}

/** Why the app refused the bot, when its answer says the credentials (or the UID) are wrong; undefined otherwise. */
function refusalOf(error: BotsApiError, bot: ServedBot): string | undefined {
  const answer = `${error.status ?? ''}${error.code ? ` ${error.code}` : ''}`.trim();
  if (error.kind === 'auth') return `app ${bot.app.name} refused its API key (CometChat answered ${answer})`;
  if (error.kind === 'uid-not-found') return `app ${bot.app.name} has no user ${bot.uid} (CometChat answered ${answer})`;
  return undefined;
}

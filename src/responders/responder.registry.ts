import { Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { botsConfig, BotsConfig, respondersConfig, RespondersConfig } from '../config/app.config';
import { ConfigValidationError } from '../config/env.validation';
import type { BotEvent } from '../messages';
import type { BotResponder } from './bot-responder.interface';
import type { ConversationState } from './conversation-state';
import { ResponderMetadata, ResponderOptions } from './responder.decorator';
import { RespondOptions, ResponderRouter, TurnOutcome } from './responder-router';

/** Every @Responder() provider in the app, found at startup; routing itself is ResponderRouter's. */
@Injectable()
export class ResponderRegistry implements OnModuleInit {
  private readonly logger = new Logger(ResponderRegistry.name);
  private router: ResponderRouter;
  /** The routers of the bots that run only some responders (BOTS_FILE's `responders`), by UID. */
  private botRouters = new Map<string, ResponderRouter>();

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(respondersConfig.KEY) private readonly config: RespondersConfig,
    // Optional for specs that build the registry alone; the app always provides it.
    @Optional() @Inject(botsConfig.KEY) private readonly bots?: BotsConfig,
  ) {}

  onModuleInit(): void {
    const found = this.discovery
      .getProviders({ metadataKey: ResponderMetadata.KEY })
      .filter((wrapper) => wrapper.instance)
      .map((wrapper) => ({
        options: this.discovery.getMetadataByDecorator(ResponderMetadata, wrapper) as ResponderOptions,
        instance: wrapper.instance as BotResponder,
      }));
    const settings = { timeoutMs: this.config.timeoutMs, fallbackText: this.config.fallbackText, replyInThread: this.config.replyInThread };
    this.router = new ResponderRouter(found, settings);
    this.checkBotsResponders();
    for (const { uid, responders } of this.bots?.bots ?? []) {
      if (responders)
        this.botRouters.set(
          uid,
          new ResponderRouter(
            found.filter(({ options }) => responders.includes(options.name)),
            settings,
          ),
        );
    }
    const names = this.router.responders.map(({ options }) => `${options.name}(${options.priority ?? 0})`);
    this.logger.log(`responders: ${names.join(', ') || 'none'}`);
  }

  /** A bot of BOTS_FILE that names a responder this app does not have fails the boot: the names are known only here. */
  private checkBotsResponders(): void {
    const known = this.router.responders.map(({ options }) => options.name).sort();
    const problems = (this.bots?.bots ?? []).flatMap(({ uid, responders = [] }, i) => {
      const unknown = responders.filter((name) => !known.includes(name));
      if (unknown.length === 0) return [];
      const names = unknown.map((name) => JSON.stringify(name)).join(', ');
      return [`BOTS_FILE bots[${i}] (${uid}) names responders this service does not have: ${names} (it has: ${known.join(', ') || 'none'})`];
    });
    if (problems.length > 0) throw new ConfigValidationError(problems);
  }

  /** Every declared command with its description, for /help: those of the bot's responders when a bot is named. */
  commands(bot?: string) {
    return this.routerOf(bot).commands();
  }

  /** The options of the responder that would take this event (for the worker: whether its turn coalesces). */
  select(event: BotEvent): ResponderOptions | undefined {
    return this.routerOf(event.bot).select(event)?.chosen.options;
  }

  respond(event: BotEvent, state: ConversationState, options?: RespondOptions): Promise<TurnOutcome> {
    return this.routerOf(event.bot).respond(event, state, options);
  }

  /** The bot's router: only its responders when it names some; with one bot, that bot's whatever the event says. */
  private routerOf(bot: string | undefined): ResponderRouter {
    if (this.botRouters.size === 0) return this.router;
    const bots = this.bots?.bots ?? [];
    const uid = bots.length === 1 ? bots[0].uid : bot?.toLowerCase();
    return (uid !== undefined && this.botRouters.get(uid)) || this.router;
  }
}

import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { respondersConfig, RespondersConfig } from '../config/app.config';
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

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(respondersConfig.KEY) private readonly config: RespondersConfig,
  ) {}

  onModuleInit(): void {
    const found = this.discovery
      .getProviders({ metadataKey: ResponderMetadata.KEY })
      .filter((wrapper) => wrapper.instance)
      .map((wrapper) => ({
        options: this.discovery.getMetadataByDecorator(ResponderMetadata, wrapper) as ResponderOptions,
        instance: wrapper.instance as BotResponder,
      }));
    this.router = new ResponderRouter(found, {
      timeoutMs: this.config.timeoutMs,
      fallbackText: this.config.fallbackText,
      replyInThread: this.config.replyInThread,
    });
    const names = this.router.responders.map(({ options }) => `${options.name}(${options.priority ?? 0})`);
    this.logger.log(`responders: ${names.join(', ') || 'none'}`);
  }

  commands() {
    return this.router.commands();
  }

  /** The options of the responder that would take this event (for the worker: whether its turn coalesces). */
  select(event: BotEvent): ResponderOptions | undefined {
    return this.router.select(event)?.chosen.options;
  }

  respond(event: BotEvent, state: ConversationState, options?: RespondOptions): Promise<TurnOutcome> {
    return this.router.respond(event, state, options);
  }
}

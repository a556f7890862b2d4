import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { BotEvent, BotReply } from '../queue/job-contracts';
import type { BotResponder } from './bot-responder.interface';
import { ResponderMetadata, ResponderOptions } from './responder.decorator';

interface RegisteredResponder {
  name: string;
  priority: number;
  instance: BotResponder;
}

export interface ResponderOutcome {
  /** The responder that took the event, if any. */
  responder?: string;
  replies: BotReply[];
}

/** Every @Responder() provider, ordered by priority; the first whose match() accepts handles the event. */
@Injectable()
export class ResponderRegistry implements OnModuleInit {
  private readonly logger = new Logger(ResponderRegistry.name);
  private responders: RegisteredResponder[] = [];

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    const found = this.discovery
      .getProviders({ metadataKey: ResponderMetadata.KEY })
      .filter((wrapper) => wrapper.instance)
      .map((wrapper) => {
        const options = this.discovery.getMetadataByDecorator(ResponderMetadata, wrapper) as ResponderOptions;
        return { name: options.name, priority: options.priority ?? 0, instance: wrapper.instance as BotResponder };
      });
    this.responders = ResponderRegistry.order(found);
    this.logger.log(`responders: ${this.responders.map((r) => `${r.name}(${r.priority})`).join(', ') || 'none'}`);
  }

  /** Sorts by priority (stable for equal priorities) and fails on duplicate names. */
  static order(responders: RegisteredResponder[]): RegisteredResponder[] {
    const seen = new Set<string>();
    for (const { name, instance } of responders) {
      if (seen.has(name)) throw new Error(`Two responders are named "${name}"; responder names must be unique`);
      if (typeof instance.match !== 'function' || typeof instance.respond !== 'function') {
        throw new Error(`Responder "${name}" must implement match() and respond()`);
      }
      seen.add(name);
    }
    return [...responders].sort((a, b) => b.priority - a.priority);
  }

  names(): string[] {
    return this.responders.map((r) => r.name);
  }

  async respond(event: BotEvent): Promise<ResponderOutcome> {
    const chosen = this.responders.find((r) => r.instance.match(event));
    if (!chosen) return { replies: [] };
    const result = await chosen.instance.respond({ event });
    const replies = result === undefined ? [] : Array.isArray(result) ? result : [result];
    return { responder: chosen.name, replies };
  }
}

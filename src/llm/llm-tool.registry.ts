import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { tool, ToolSet } from 'ai';
import type { BotEvent } from '../messages';
import { LlmToolMetadata, LlmToolOptions, LlmToolProvider, TOOL_NAME } from './llm-tool.decorator';

export interface RegisteredTool {
  options: LlmToolOptions;
  instance: LlmToolProvider;
}

/** Every @LlmTool() provider in the app, found at startup as the responders are; fails on a bad or repeated name. */
@Injectable()
export class LlmToolRegistry implements OnModuleInit {
  private readonly logger = new Logger(LlmToolRegistry.name);
  tools: RegisteredTool[] = [];

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    const found = this.discovery
      .getProviders({ metadataKey: LlmToolMetadata.KEY })
      .filter((wrapper) => wrapper.instance)
      .map((wrapper) => ({
        options: this.discovery.getMetadataByDecorator(LlmToolMetadata, wrapper) as LlmToolOptions,
        instance: wrapper.instance as LlmToolProvider,
      }));
    this.tools = LlmToolRegistry.check(found);
    this.logger.log(`LLM tools: ${this.tools.map(({ options }) => options.name).join(', ') || 'none'}`);
  }

  static check(tools: RegisteredTool[]): RegisteredTool[] {
    const seen = new Set<string>();
    for (const { options, instance } of tools) {
      if (!TOOL_NAME.test(options.name)) {
        throw new Error(`LLM tool name "${options.name}" must be 1 to 64 letters, digits, "_" or "-"`);
      }
      if (seen.has(options.name)) throw new Error(`Two LLM tools are named "${options.name}"; tool names must be unique`);
      if (typeof instance.execute !== 'function') throw new Error(`LLM tool "${options.name}" must implement execute()`);
      seen.add(options.name);
    }
    return tools;
  }

  /** The tools whose call ends the answer (`endsAnswer`). */
  endingTools(): string[] {
    return this.tools.filter(({ options }) => options.endsAnswer).map(({ options }) => options.name);
  }

  /** The tools as the AI SDK takes them, bound to the message being answered. */
  toolSet(event: BotEvent, signal: AbortSignal): ToolSet {
    return Object.fromEntries(
      this.tools.map(({ options, instance }) => [
        options.name,
        tool({
          description: options.description,
          inputSchema: options.inputSchema,
          execute: (input: unknown, { toolCallId }) => instance.execute(input, { event, signal, toolCallId }),
        }),
      ]),
    );
  }
}

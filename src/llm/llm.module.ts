import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import { readFileSync } from 'node:fs';
import { llmConfig, LlmConfig } from '../config/app.config';
import { MetricsModule } from '../metrics/metrics.module';
import { LlmToolRegistry } from './llm-tool.registry';
import { LlmUsageStore } from './llm-usage.store';
import { LlmResponder } from './llm.responder';
import { DEFAULT_SYSTEM_PROMPT, LLM_INSTRUCTIONS, LLM_LANGUAGE_MODEL, LLM_MODEL_NAMED } from './llm.tokens';

/** The system prompt, read once at boot: a missing file stops the start with its name rather than a vague error. */
export function systemPrompt(config: Pick<LlmConfig, 'systemPrompt' | 'systemPromptFile'>): string {
  if (config.systemPrompt !== undefined) return config.systemPrompt;
  if (config.systemPromptFile === undefined) return DEFAULT_SYSTEM_PROMPT;
  try {
    return readFileSync(config.systemPromptFile, 'utf8').trim();
  } catch (error) {
    throw new Error(`LLM_SYSTEM_PROMPT_FILE ${config.systemPromptFile} cannot be read: ${(error as Error).message}`);
  }
}

/**
 * The built-in LLM responder, its tool registry and the per-user token budget. Loaded by AppModule only when
 * LLM_MODEL is set. Teams add tools with @LlmTool() in their own module (src/bot/), not here.
 */
@Module({
  imports: [DiscoveryModule, MetricsModule],
  providers: [
    LlmResponder,
    LlmToolRegistry,
    LlmUsageStore,
    {
      provide: LLM_MODEL_NAMED,
      inject: [llmConfig.KEY],
      // Any server speaking OpenAI's chat completions: OpenAI itself, a gateway, vLLM, Ollama, LM Studio, …
      useFactory: (config: LlmConfig) => {
        const provider = createOpenAICompatible({ name: 'llm', baseURL: config.baseUrl, apiKey: config.apiKey, includeUsage: true });
        return (name: string) => provider.chatModel(name);
      },
    },
    {
      provide: LLM_LANGUAGE_MODEL,
      inject: [llmConfig.KEY, LLM_MODEL_NAMED],
      useFactory: (config: LlmConfig, named: (name: string) => LanguageModel) => named(config.model!),
    },
    { provide: LLM_INSTRUCTIONS, inject: [llmConfig.KEY], useFactory: systemPrompt },
  ],
  exports: [LlmToolRegistry],
})
export class LlmModule {}

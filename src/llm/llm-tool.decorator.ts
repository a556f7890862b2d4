import { applyDecorators, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { z } from 'zod';
import type { BotEvent } from '../messages';

export interface LlmToolOptions {
  /** What the model calls it: unique across the app, letters, digits, `_` and `-` (at most 64, as OpenAI allows). */
  name: string;
  /** Tells the model what the tool does and when to use it. */
  description: string;
  /** The arguments the model must give, checked before execute() runs (a bad call goes back to the model). */
  inputSchema: z.ZodType;
  /**
   * Calling it ends the answer: the model is not called again, and the tool's result (a string) is what the user is
   * told, after anything the model wrote before the call. For a tool that acts for the user and says so in set words
   * (the built-in `handoff`).
   */
  endsAnswer?: boolean;
}

/** What a tool's execute() gets beside its arguments. */
export interface LlmToolContext {
  /** The message being answered (its sender, conversation, text). */
  event: BotEvent;
  /** Aborted with the turn (responder timeout, caller gone): pass it to fetch/axios. */
  signal: AbortSignal;
  toolCallId: string;
}

/**
 * A tool the LLM responder offers the model: a @LlmTool() class with execute(). Its result (any JSON value) goes
 * back to the model; a thrown error goes back as the tool's error, and the model may say so or try again.
 */
export interface LlmToolProvider<Input = unknown> {
  execute(input: Input, ctx: LlmToolContext): unknown;
}

export const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Marks the metadata the tool registry discovers. */
export const LlmToolMetadata = DiscoveryService.createDecorator<LlmToolOptions>();

/** Declares a class as a tool for the LLM responder: list it in a module's providers (src/bot/) and it is found. */
export const LlmTool = (options: LlmToolOptions) => applyDecorators(Injectable(), LlmToolMetadata(options));

import { Inject, Logger } from '@nestjs/common';
import {
  APICallError,
  ContentPart,
  generateText,
  hasToolCall,
  LanguageModel,
  LanguageModelUsage,
  ModelMessage,
  stepCountIs,
  streamText,
  TextStreamPart,
  ToolSet,
} from 'ai';
import { llmConfig, LlmConfig } from '../config/app.config';
import { ServedBots } from '../config/served-bots';
import { botLabel, type LlmCallOutcome } from '../metrics/metric-definitions';
import { MetricsService } from '../metrics/metrics.service';
import type { BotEvent, BotResponder, ResponderContext, ResponderStreamPart } from '../responders';
import { feedbackOf, Responder, RetryLaterError, textReply } from '../responders';
import { retryAfterHeaderMs } from '../common/retry-after';
import { boundMessages, ConversationMemory, exchangesToMessages, historyToMessages, turnLines, userLine } from './llm-memory';
import { LlmToolRegistry } from './llm-tool.registry';
import { BudgetHold, LlmUsageStore } from './llm-usage.store';
import { GROUP_CHAT_NOTE, LLM_INSTRUCTIONS, LLM_LANGUAGE_MODEL, LLM_MODEL_NAMED } from './llm.tokens';

/** How the responder runs for one bot: the environment's LLM_* settings, each under the bot's own `llm` (BOTS_FILE). */
interface BotLlm {
  modelName: string;
  model: LanguageModel;
  instructions: string;
  dailyTokensPerUser?: number;
  groupChatSetting: LlmConfig['groupChatSetting'];
}

const LLM_RESPONDER = 'llm';

/** Below the commands and FAQ-like responders (0 and up), above the echo (-100). */
export const LLM_PRIORITY = -50;

/**
 * Answers text with an OpenAI-compatible chat model (on when LLM_MODEL is set). Memory: the conversation's last
 * LLM_HISTORY_TURNS exchanges from conversation state (or the history the agent path sends). Tools: every
 * @LlmTool() in the app, at most LLM_MAX_STEPS model calls a turn. The answer streams; the bot path collects it.
 * A model error (429, 5xx, network) throws out of the turn: on the bot path the queue retries it with backoff, then
 * APOLOGY_TEXT; on the agent path the run ends with RUN_ERROR, unretried.
 */
// Edits are answered again (the memory's exchange replaced); reactions on its own answers are kept as their feedback.
@Responder({
  name: LLM_RESPONDER,
  priority: LLM_PRIORITY,
  kinds: ['text'],
  coalesce: true,
  on: ['message', 'edited', 'reaction-added', 'reaction-removed'],
})
export class LlmResponder implements BotResponder {
  private readonly logger = new Logger('LlmResponder');
  /** Each served bot's settings, by UID; `defaults` for a turn of no served bot. */
  private readonly perBot = new Map<string, BotLlm>();
  private readonly defaults: BotLlm;

  constructor(
    @Inject(llmConfig.KEY) private readonly config: LlmConfig,
    @Inject(LLM_LANGUAGE_MODEL) model: LanguageModel,
    @Inject(LLM_INSTRUCTIONS) instructions: string,
    private readonly tools: LlmToolRegistry,
    private readonly usage: LlmUsageStore,
    private readonly metrics: MetricsService,
    private readonly bots: ServedBots,
    @Inject(LLM_MODEL_NAMED) named: (name: string) => LanguageModel,
  ) {
    const { model: modelName, dailyTokensPerUser, groupChatSetting } = config;
    this.defaults = { modelName: modelName!, model, instructions, dailyTokensPerUser, groupChatSetting };
    for (const bot of bots.all) {
      const own = bot.llm ?? {};
      this.perBot.set(bot.uid, {
        ...this.defaults,
        groupChatSetting: bot.groupChatSetting,
        ...(own.model !== undefined && own.model !== modelName ? { modelName: own.model, model: named(own.model) } : {}),
        ...(own.systemPrompt !== undefined ? { instructions: own.systemPrompt } : {}),
        ...(own.dailyTokensPerUser !== undefined ? { dailyTokensPerUser: own.dailyTokensPerUser } : {}),
      });
    }
  }

  /** Text that is not a slash command (commands belong to command responders); in groups, per the bot's group chat setting. */
  match(event: BotEvent): boolean {
    if (event.reaction) return event.reaction.onAnswer?.responder === LLM_RESPONDER && feedbackOf(event.reaction.emoji) !== undefined;
    if (!event.text || event.text.startsWith('/')) return false;
    if (event.conversation.type !== 'group') return true;
    const setting = this.settingsOf(event).groupChatSetting;
    return setting === 'allMessages' || (setting === 'mentionedMessages' && event.mentionsBot);
  }

  /** The settings of the event's bot. */
  private settingsOf(event: BotEvent): BotLlm {
    const bot = this.bots.ofConversation(event.conversation);
    return (bot && this.perBot.get(bot.uid)) ?? this.defaults;
  }

  async respond(ctx: ResponderContext) {
    if (ctx.event.reaction) return this.rate(ctx);
    const uid = ctx.event.sender.uid;
    const settings = this.settingsOf(ctx.event);
    // A user's budget is per bot when there are several: their talk with one bot does not spend another's.
    const { bot } = ctx.event.conversation;
    const hold = await this.usage.reserve(bot === undefined ? uid : `${bot}/${uid}`, new Date(), settings.dailyTokensPerUser);
    if (!hold) {
      this.metrics.metrics.llmBudgetRefusals.inc({ bot: this.botLabel(ctx) });
      this.logger.log(`message ${ctx.event.id}: ${uid} spent today's LLM_DAILY_TOKENS_PER_USER; limit message sent`);
      return textReply(this.config.limitText);
    }
    try {
      const { messages, remember } = await this.prompt(ctx);
      return this.answer(ctx, settings, messages, hold, remember);
    } catch (error) {
      await this.settle(ctx, hold, 0); // no model call made: the hold goes back
      throw error;
    }
  }

  /** A 👍/👎 on one of its answers: kept with that exchange in memory, shown to the model in later turns. Says nothing. */
  private async rate({ event, state }: ResponderContext): Promise<undefined> {
    const { emoji, onAnswer } = event.reaction!;
    const memory = new ConversationMemory(state, { turns: this.config.historyTurns, maxTokens: this.config.historyMaxTokens });
    await memory.rate(onAnswer!.question!, feedbackOf(emoji)!, event.kind === 'reaction-removed');
    return undefined;
  }

  /**
   * What the model is sent (earlier turns: the agent path's history, or this conversation's memory; then this
   * turn's lines), and how the answer is remembered.
   */
  private async prompt(ctx: ResponderContext): Promise<{ messages: ModelMessage[]; remember: (answer: string) => Promise<void> }> {
    const group = ctx.event.conversation.type === 'group';
    const lines = turnLines(ctx.batch);
    const ids = ctx.batch.map((event) => event.id);
    const memory = ctx.history
      ? undefined
      : new ConversationMemory(ctx.state, { turns: this.config.historyTurns, maxTokens: this.config.historyMaxTokens });
    const earlier = ctx.history
      ? historyToMessages(boundMessages(ctx.history, this.config.historyTurns, this.config.historyMaxTokens), group)
      : exchangesToMessages(await memory!.earlier(ids), group);
    const messages: ModelMessage[] = [
      ...earlier,
      ...lines.map((line): ModelMessage => ({ role: 'user', content: userLine(line.text, line.sender, group) })),
    ];
    const remember = async (answer: string) => {
      if (memory && answer) await memory.append({ ids, user: lines, assistant: answer });
    };
    return { messages, remember };
  }

  /** The model's answer as a stream of parts; usage, latency and the budget's hold settled however it ends. */
  private async *answer(
    ctx: ResponderContext,
    settings: BotLlm,
    messages: ModelMessage[],
    hold: BudgetHold,
    remember: (answer: string) => Promise<void>,
  ): AsyncGenerator<ResponderStreamPart> {
    const group = ctx.event.conversation.type === 'group';
    const bot = this.botLabel(ctx);
    const started = performance.now();
    const spent = { input: 0, output: 0, total: 0, calls: 0 };
    let callStarted: number | undefined;
    const endCall = (outcome: LlmCallOutcome) => {
      if (callStarted === undefined) return;
      this.metrics.metrics.llmCallDuration.observe({ bot, outcome }, (performance.now() - callStarted) / 1000);
      callStarted = undefined;
    };
    // The model's own deadline, below the responder's: a slow model fails the turn as an error does (retried), not as
    // a responder past its time (failed for good).
    const deadline = AbortSignal.timeout(this.config.timeoutMs);
    const signal = AbortSignal.any([ctx.signal, deadline]);
    const ending = this.tools.endingTools();
    const options = {
      model: settings.model,
      instructions: group ? `${settings.instructions}\n\n${GROUP_CHAT_NOTE}` : settings.instructions,
      messages,
      tools: this.tools.toolSet(ctx.event, signal),
      // A tool that ends the answer (endsAnswer) is the model's last step: its result is what the user is told.
      stopWhen: [stepCountIs(this.config.maxSteps), hasToolCall(...ending)],
      maxOutputTokens: this.config.maxOutputTokens,
      // The queue retries the whole turn, with its backoff: retrying here too would multiply the attempts.
      maxRetries: 0,
      abortSignal: signal,
      onLanguageModelCallStart: () => {
        callStarted = performance.now();
      },
      onLanguageModelCallEnd: ({ usage }: { usage: LanguageModelUsage }) => {
        endCall('ok');
        spent.calls++;
        spent.input += usage.inputTokens ?? 0;
        spent.output += usage.outputTokens ?? 0;
        spent.total += usage.totalTokens ?? (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
      },
    } satisfies Parameters<typeof streamText<ToolSet>>[0];

    let text = '';
    let failed = true;
    try {
      for await (const raw of this.modelParts(options, signal)) {
        const part = streamPart(raw);
        if (part === undefined) continue;
        if (typeof part === 'string') text += part;
        yield part;
        if (typeof part !== 'string' && part.type === 'tool-result' && ending.includes(part.toolName) && typeof part.result === 'string') {
          const words = `${text.trim() ? '\n\n' : ''}${part.result}`;
          text += words;
          yield words;
        }
      }
      failed = false;
    } catch (error) {
      if (deadline.aborted && !ctx.signal.aborted) throw new Error(`the model did not answer within LLM_TIMEOUT_MS (${this.config.timeoutMs} ms)`);
      throw rateLimited(error) ?? error;
    } finally {
      endCall(ctx.signal.aborted ? 'aborted' : 'error');
      this.metrics.metrics.llmTokens.inc({ bot, kind: 'input' }, spent.input);
      this.metrics.metrics.llmTokens.inc({ bot, kind: 'output' }, spent.output);
      const ms = Math.round(performance.now() - started);
      const how = failed ? (ctx.signal.aborted ? 'aborted' : 'failed') : 'answered';
      this.logger.log(
        `message ${ctx.event.id}: model ${settings.modelName} ${how} in ${ms} ms, ${spent.calls} call(s), ${spent.input} input + ${spent.output} output tokens`,
      );
      // Tokens spent on a call that failed count too: the provider bills them.
      await this.settle(ctx, hold, spent.total);
    }
    await remember(text.trim());
  }

  /** The turn's bot in the metrics: its conversation's (with one bot, that one; see botLabel). */
  private botLabel(ctx: ResponderContext): string {
    return botLabel(this.bots.ofConversation(ctx.event.conversation));
  }

  /** A count Redis missed is not worth failing an answer already made (or hiding the error that ended it) for. */
  private async settle(ctx: ResponderContext, hold: BudgetHold, tokens: number): Promise<void> {
    await this.usage.settle(hold, tokens).catch((error: Error) => {
      this.logger.warn(`message ${ctx.event.id}: ${tokens} tokens of ${ctx.event.sender.uid} not counted: ${error.message}`);
    });
  }

  /** What the model produced, part by part: as it streams, or (LLM_STREAMING=false) each call's parts once it ends. */
  private async *modelParts(options: Parameters<typeof streamText<ToolSet>>[0], signal: AbortSignal): AsyncGenerator<ModelPart> {
    if (!this.config.streaming) {
      for (const step of (await generateText(options)).steps) yield* step.content;
      return;
    }
    // Errors come as parts, thrown here: no default printing of them to the console.
    for await (const part of streamText({ ...options, onError: () => undefined }).fullStream) {
      if (part.type === 'error') throw part.error;
      if (part.type === 'abort') throw signal.reason ?? new Error('the model call was aborted');
      yield part;
    }
  }
}

/** A part of the SDK's output (a fullStream part, or a step's content part). */
type ModelPart = TextStreamPart<ToolSet> | ContentPart<ToolSet>;

/** A part of the model's output as the responder API streams it; other parts (steps, reasoning, …) are internal. */
function streamPart(part: ModelPart): ResponderStreamPart | undefined {
  switch (part.type) {
    case 'text-delta':
      return part.text || undefined;
    case 'text':
      return part.text || undefined;
    case 'tool-call':
      return { type: 'tool-call', toolCallId: part.toolCallId, toolName: part.toolName, args: part.input };
    case 'tool-result':
      return { type: 'tool-result', toolCallId: part.toolCallId, toolName: part.toolName, result: part.output };
    case 'tool-error':
      return { type: 'tool-result', toolCallId: part.toolCallId, toolName: part.toolName, result: { error: String(part.error) } };
    default:
      return undefined;
  }
}

/** A model's 429 with `Retry-After`, as a RetryLaterError: the turn is retried when the provider asked, not sooner. */
function rateLimited(error: unknown): RetryLaterError | undefined {
  if (!APICallError.isInstance(error) || error.statusCode !== 429) return undefined;
  const waitMs = retryAfterHeaderMs(error.responseHeaders ?? {});
  return waitMs === undefined ? undefined : new RetryLaterError(`the model answered 429; retrying after ${waitMs} ms (Retry-After)`, waitMs);
}

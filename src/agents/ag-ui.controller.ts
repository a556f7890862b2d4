import {
  BadRequestException,
  Body,
  Controller,
  Inject,
  Logger,
  OnModuleInit,
  Param,
  Post,
  Res,
  UnprocessableEntityException,
  UseGuards,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AGUIEvent, RunAgentInput } from '@ag-ui/core';
import { EventEncoder } from '@ag-ui/encoder';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { openEventStream } from '../common/event-stream';
import { agentConfig, AgentConfig } from '../config/app.config';
import { ServedBot, ServedBots } from '../config/served-bots';
import { ConversationStateStore } from '../conversation-state/conversation-state.store';
import { ResponderRegistry } from '../responders/responder.registry';
import { RunStoppedError } from './ag-ui-events';
import { AgentBots } from './agent-bots';
import { AgentTokenGuard } from './agent-token.guard';
import { runAgentTurn } from './agent-run';
import { agentConversation, AgentTurn, InvalidRunAgentInputError, NoUserMessageError, parseRunAgentInput, turnOf } from './run-agent-input';

/**
 * CometChat's AI Agent endpoint (cometchat-api.md §11): a RunAgentInput in, the responders' answer out as AG-UI
 * events over server-sent events, while the request lasts. Nothing is queued: the answer is the stream. Each bot with
 * an agentToken has `/agents/ag-ui/{botUid}`; `/agents/ag-ui` is the one bot's (see AgentBots). The turn is that
 * bot's: its UID as event.bot (so only its responders run), its own conversation when there are several.
 */
@Controller('agents')
@UseGuards(AgentTokenGuard)
export class AgUiController implements OnModuleInit {
  private readonly logger = new Logger(AgUiController.name);
  private readonly encoder = new EventEncoder();
  /** The runs in flight, each stopped (RUN_ERROR, stream closed) when the server starts closing. */
  private readonly running = new Set<AbortController>();

  constructor(
    private readonly registry: ResponderRegistry,
    private readonly states: ConversationStateStore,
    private readonly adapterHost: HttpAdapterHost,
    private readonly agents: AgentBots,
    private readonly bots: ServedBots,
    @Inject(agentConfig.KEY) private readonly config: AgentConfig,
  ) {}

  onModuleInit(): void {
    // An open stream would keep the server's close waiting until its responder ends.
    this.adapterHost.httpAdapter.getInstance<FastifyInstance>().addHook('preClose', async () => {
      for (const run of this.running) run.abort(new RunStoppedError());
    });
  }

  @Post(['ag-ui', 'ag-ui/:botUid'])
  async run(@Param('botUid') botUid: string | undefined, @Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    // AgentTokenGuard has answered 404 for a path without an agent.
    const { bot } = this.agents.of(botUid) as { bot: ServedBot };
    const conversationBot = this.bots.several ? bot.uid : undefined;
    const { input, turn } = this.read(body, bot, conversationBot);

    const raw = openEventStream(reply);
    const write = (chunk: string) => {
      if (!raw.writableEnded && !raw.destroyed) raw.write(chunk);
    };
    const heartbeat = setInterval(() => write(': ping\n\n'), this.config.heartbeatMs);
    const run = new AbortController();
    this.running.add(run);
    // The client went away before the end: the responder (and the model call it passes the signal to) stops.
    raw.on('close', () => {
      if (!raw.writableFinished) run.abort(new Error('the client closed the stream'));
    });

    const { event } = turn;
    try {
      const { error } = await runAgentTurn({
        input,
        turn,
        respond: (options) => this.registry.respond(event, this.states.for(agentConversation(input.threadId, conversationBot)), options),
        emit: (agUiEvent: AGUIEvent) => write(this.encoder.encodeSSE(agUiEvent)),
        signal: run.signal,
      });
      if (error && !raw.destroyed)
        this.logger.warn(`AG-UI run ${input.runId} (bot ${bot.uid}, thread ${input.threadId}) failed: ${(error as Error).message ?? error}`);
    } finally {
      clearInterval(heartbeat);
      this.running.delete(run);
      if (!raw.writableEnded) raw.end();
    }
  }

  /** The run asked for, or the 400/422 that says why there is none; answered as JSON before any stream. */
  private read(body: unknown, bot: ServedBot, conversationBot: string | undefined): { input: RunAgentInput; turn: AgentTurn } {
    try {
      const input = parseRunAgentInput(body);
      return { input, turn: turnOf(input, bot.uid, Date.now(), conversationBot) };
    } catch (error) {
      if (error instanceof InvalidRunAgentInputError) throw new BadRequestException(error.message);
      if (error instanceof NoUserMessageError) throw new UnprocessableEntityException(error.message);
      throw error;
    }
  }
}

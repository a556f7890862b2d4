import { Body, Controller, Get, Header, HttpCode, Inject, Post, Res, ValidationPipe } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  agentConfig,
  AgentConfig,
  botConfig,
  BotConfig,
  cometchatConfig,
  CometChatConfig,
  respondersConfig,
  RespondersConfig,
} from '../config/app.config';
import { SandboxMessageDto } from './dto/sandbox-message.dto';
import { SandboxChatService, SandboxSendResult } from './sandbox-chat.service';
import { SandboxEventStream } from './sandbox-event-stream.service';
import { SandboxReply, SandboxOutbox } from './sandbox-outbox.service';
import { loadSandboxPageAssets } from './sandbox-page.assets';

// The page loads only its own files; images and media in bot replies may come from anywhere.
const PAGE_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src * data:; media-src *; connect-src 'self'; frame-ancestors 'none'";

/** The local chat page and the small API behind it. Nothing here ever returns a credential. */
@Controller('sandbox')
export class SandboxController {
  private readonly assets = loadSandboxPageAssets();

  constructor(
    private readonly chat: SandboxChatService,
    private readonly events: SandboxEventStream,
    private readonly outbox: SandboxOutbox,
    @Inject(botConfig.KEY) private readonly bot: BotConfig,
    @Inject(cometchatConfig.KEY) private readonly cometchat: CometChatConfig,
    @Inject(respondersConfig.KEY) private readonly responders: RespondersConfig,
    @Inject(agentConfig.KEY) private readonly agent: AgentConfig,
  ) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', PAGE_POLICY)
  @Header('cache-control', 'no-cache')
  page(): string {
    return this.assets.html;
  }

  @Get('sandbox.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'no-cache')
  css(): string {
    return this.assets.css;
  }

  @Get('sandbox.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'no-cache')
  js(): string {
    return this.assets.js;
  }

  /**
   * What the page needs to know about the bot; in live mode it warns that replies go to CometChat. Whether the
   * AG-UI endpoint is on, never its token: the page asks the person for it.
   */
  @Get('session')
  session() {
    return {
      botUid: this.bot.uid,
      mode: this.cometchat.mode,
      groupChatSetting: this.responders.groupChatSetting,
      agentEndpoint: this.agent.token !== undefined,
    };
  }

  /** Posts the message to the webhook as CometChat would, and answers with the webhook's answer. */
  @Post('messages')
  @HttpCode(200)
  send(
    @Body(new ValidationPipe({ transform: true, whitelist: true, expectedType: SandboxMessageDto })) message: SandboxMessageDto,
  ): Promise<SandboxSendResult> {
    return this.chat.send(message);
  }

  /** The stored replies, newest first (what CometChat would have received). */
  @Get('outbox')
  outboxReplies(): Promise<SandboxReply[]> {
    return this.outbox.replies();
  }

  @Get('events')
  stream(@Res() reply: FastifyReply): Promise<void> {
    return this.events.stream(reply);
  }
}

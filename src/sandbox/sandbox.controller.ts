import { Body, Controller, Get, Header, HttpCode, Inject, Post, Query, Res, ValidationPipe } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { cometchatConfig, CometChatConfig, respondersConfig, RespondersConfig } from '../config/app.config';
import { ServedBots } from '../config/served-bots';
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
    private readonly bots: ServedBots,
    @Inject(cometchatConfig.KEY) private readonly cometchat: CometChatConfig,
    @Inject(respondersConfig.KEY) private readonly responders: Pick<RespondersConfig, 'live'>,
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
   * What the page needs to know about the bots; in live mode it warns that replies go to CometChat. Whether a bot's
   * AG-UI endpoint is on, never its token: the page asks the person for it. The top-level fields are the first bot's
   * (the one bot's, as they always were); `bots` lists every bot, and the page offers a choice when there are several.
   * `streamEditIntervalMs`: how often a streamed answer is edited at most, so the page knows when one has stopped growing.
   */
  @Get('session')
  session() {
    const bots = this.bots.all.map((bot) => ({ uid: bot.uid, groupChatSetting: bot.groupChatSetting, agentEndpoint: bot.agentToken !== undefined }));
    const [first] = bots;
    return {
      botUid: first.uid,
      mode: this.cometchat.mode,
      groupChatSetting: first.groupChatSetting,
      agentEndpoint: first.agentEndpoint,
      streamEditIntervalMs: this.responders.live.editIntervalMs,
      bots,
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

  /** The stored replies, newest first (what CometChat would have received); `?bot=uid`: only that bot's. */
  @Get('outbox')
  async outboxReplies(@Query('bot') bot?: string): Promise<SandboxReply[]> {
    const replies = await this.outbox.replies();
    return typeof bot === 'string' ? replies.filter((reply) => reply.sender === bot.toLowerCase()) : replies;
  }

  @Get('events')
  stream(@Res() reply: FastifyReply): Promise<void> {
    return this.events.stream(reply);
  }
}

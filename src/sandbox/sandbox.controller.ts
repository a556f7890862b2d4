import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Patch,
  PipeTransform,
  Post,
  Query,
  Res,
  ValidationPipe,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { cometchatConfig, CometChatConfig, respondersConfig, RespondersConfig } from '../config/app.config';
import { ServedBots } from '../config/served-bots';
import { HandoffStore } from '../handoff/handoff.store';
import { Conversation, conversationKey } from '../messages';
import { SandboxEditDto, SandboxReactionDto } from './dto/sandbox-change.dto';
import { SandboxMessageDto } from './dto/sandbox-message.dto';
import { SandboxChatService, SandboxEventResult, SandboxSendResult } from './sandbox-chat.service';
import { SandboxEventStream } from './sandbox-event-stream.service';
import { SandboxReply, SandboxOutbox } from './sandbox-outbox.service';
import { loadSandboxPageAssets } from './sandbox-page.assets';

// The page loads only its own files; images and media in bot replies may come from anywhere.
const PAGE_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src * data:; media-src *; connect-src 'self'; frame-ancestors 'none'";

/** A message id in the path: digits, as the sandbox makes them. */
const MessageId: PipeTransform<string, string> = {
  transform: (id) => {
    if (!/^\d{1,13}$/.test(id)) throw new BadRequestException('id must be the digits of a message id');
    return id;
  },
};
const validated = <T>(expectedType: new () => T) => new ValidationPipe({ transform: true, whitelist: true, expectedType });

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
    private readonly handoffs: HandoffStore,
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

  /** Edits a page message: posts `message_edited` to the events route as CometChat would; the events route's answer. */
  @Patch('messages/:id')
  edit(@Param('id', MessageId) id: string, @Body(validated(SandboxEditDto)) body: SandboxEditDto): Promise<SandboxEventResult> {
    return this.chat.edit(id, body.text);
  }

  /** Deletes a page message: posts `message_deleted` to the events route. */
  @Delete('messages/:id')
  delete(@Param('id', MessageId) id: string): Promise<SandboxEventResult> {
    return this.chat.delete(id);
  }

  /** Adds a reaction to a bot reply, or takes it back (a second time): `message_reaction_added` / `_removed`. */
  @Post('replies/:id/reactions')
  @HttpCode(200)
  react(@Param('id', MessageId) id: string, @Body(validated(SandboxReactionDto)) body: SandboxReactionDto): Promise<SandboxEventResult> {
    return this.chat.react(id, body);
  }

  /**
   * How a conversation stands, for the page's banner: `handedOff` while people have it (`/human` until `/bot`, or
   * HANDOFF_TIMEOUT_MS). The page asks with `?bot=<uid>&type=user|group&id=<uid or guid>`.
   */
  @Get('state')
  async state(@Query('bot') bot?: string, @Query('type') type?: string, @Query('id') id?: string): Promise<{ handedOff: boolean; since?: number }> {
    const served = this.bots.find(bot) ?? (this.bots.several ? undefined : this.bots.all[0]);
    if (!served || (type !== 'user' && type !== 'group') || !id)
      throw new BadRequestException('bot, type (user or group) and id name the conversation');
    const conversation: Conversation = { type, id, ...(this.bots.several ? { bot: served.uid } : {}) };
    const handoff = await this.handoffs.current(conversationKey(conversation));
    return handoff ? { handedOff: true, since: handoff.since } : { handedOff: false };
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

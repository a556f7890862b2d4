import { Body, Controller, HttpCode, Post, Res, ServiceUnavailableException, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { BasicAuthGuard } from './basic-auth.guard';
import { CallbackValidationPipe } from './callback-validation.pipe';
import type { CometChatCallbackDto } from './dto/cometchat-callback.dto';
import { InboxResult, InboxService, InboxUnavailableError } from './inbox.service';

/** Seconds a caller should wait before redelivering when the queue is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

@Controller('webhooks')
export class WebhookController {
  constructor(private readonly inbox: InboxService) {}

  @Post('cometchat')
  @HttpCode(200)
  @UseGuards(BasicAuthGuard)
  async receive(
    @Body(CallbackValidationPipe) callback: CometChatCallbackDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<InboxResult> {
    try {
      return await this.inbox.receive(callback);
    } catch (error) {
      if (!(error instanceof InboxUnavailableError)) throw error;
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      throw new ServiceUnavailableException('Message not stored: the queue is unavailable; retry later');
    }
  }
}

import { Body, Controller, HttpCode, Post, UseFilters, UseGuards } from '@nestjs/common';
import { BasicAuthGuard } from './basic-auth.guard';
import { CallbackValidationPipe } from './callback-validation.pipe';
import type { CometChatCallbackDto } from './dto/cometchat-callback.dto';
import { InboxUnavailableFilter } from './inbox-unavailable.filter';
import { InboxResult, InboxService } from './inbox.service';

@Controller('webhooks')
export class WebhookController {
  constructor(private readonly inbox: InboxService) {}

  // One parameter and no response object: every extra step in Nest's route pipeline runs on each callback.
  @Post('cometchat')
  @HttpCode(200)
  @UseGuards(BasicAuthGuard)
  @UseFilters(InboxUnavailableFilter)
  receive(@Body(CallbackValidationPipe) callback: CometChatCallbackDto): Promise<InboxResult> {
    return this.inbox.receive(callback);
  }
}

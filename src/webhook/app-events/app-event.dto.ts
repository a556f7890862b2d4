import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsDefined, IsNotEmpty, IsNumber, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { CallbackMessageDto } from '../dto/cometchat-callback.dto';

/**
 * An app webhook's envelope (`{trigger, data, appId, region, webhook}`, cometchat-api.md §7). Only what the service
 * reads is declared; CometChat's other fields travel on untouched. What `data` holds depends on the trigger: see
 * MessageEventData and ReactionEventData.
 */
export class AppWebhookDto {
  [field: string]: unknown;

  @IsNotEmpty()
  @IsString()
  @IsDefined()
  trigger: string;

  @IsObject()
  @IsDefined()
  data: Record<string, unknown>;

  @IsOptional()
  @IsString()
  appId?: string;

  @IsOptional()
  @IsString()
  region?: string;
}

/** `message_edited`, `message_deleted`: the message as it stands after the change. */
export class MessageEventData {
  [field: string]: unknown;

  @ValidateNested()
  @IsObject()
  @IsDefined()
  @Type(() => CallbackMessageDto)
  message: CallbackMessageDto;
}

export class ReactionDto {
  [field: string]: unknown;

  // It names dedup keys and jobs, as a message id does.
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'data.reaction.messageId must be letters, digits, "_", "-" or "."' })
  @MaxLength(100)
  @IsString()
  @IsDefined()
  messageId: string;

  @MaxLength(64)
  @IsNotEmpty()
  @IsString()
  @IsDefined()
  reaction: string;

  @IsNotEmpty()
  @IsString()
  @IsDefined()
  uid: string;

  @IsOptional()
  @IsNumber()
  reactedAt?: number;
}

/** `message_reaction_added` / `_removed`: the reaction, and on some of CometChat's pages the message reacted to. */
export class ReactionEventData {
  [field: string]: unknown;

  @ValidateNested()
  @IsObject()
  @IsDefined()
  @Type(() => ReactionDto)
  reaction: ReactionDto;

  @IsOptional()
  @ValidateNested()
  @IsObject()
  @Type(() => CallbackMessageDto)
  message?: CallbackMessageDto;
}

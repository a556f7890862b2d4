// @Type() reads the properties' design types: the Reflect metadata API must be loaded before these classes are.
import 'reflect-metadata';
import type { CallbackContent, CallbackMessage, CometChatCallback } from '../../messages';
import { Type } from 'class-transformer';
import { IsArray, IsDefined, IsIn, IsNotEmpty, IsNumber, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';

/**
 * Only the fields the service reads are declared; CometChat adds fields freely and unknown ones are kept
 * (the raw body travels on untouched), never a reason to refuse a callback.
 */
export class MessageContentDto implements CallbackContent {
  [field: string]: unknown;

  @IsOptional()
  @IsString()
  text?: string;

  @IsOptional()
  @IsArray()
  attachments?: unknown[];

  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;

  @IsOptional()
  @IsObject()
  customData?: Record<string, unknown>;

  @IsOptional()
  @IsObject()
  mentions?: Record<string, unknown>;
}

export class CallbackMessageDto implements CallbackMessage {
  [field: string]: unknown;

  // The id names BullMQ jobs and dedup keys, so it is kept to a safe alphabet.
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'data.id must be letters, digits, "_", "-" or "."' })
  @MaxLength(100)
  @IsString()
  @IsDefined()
  id: string;

  @IsNotEmpty()
  @IsString()
  @IsDefined()
  sender: string;

  @IsNotEmpty()
  @IsString()
  @IsDefined()
  receiver: string;

  @IsIn(['user', 'group'])
  @IsDefined()
  receiverType: 'user' | 'group';

  @IsNotEmpty()
  @IsString()
  @IsDefined()
  category: string;

  @IsNotEmpty()
  @IsString()
  @IsDefined()
  type: string;

  @IsOptional()
  @IsString()
  parentId?: string;

  @IsOptional()
  @IsNumber()
  sentAt?: number;

  @IsOptional()
  @ValidateNested()
  @IsObject()
  @Type(() => MessageContentDto)
  data?: MessageContentDto;
}

export class CometChatCallbackDto implements CometChatCallback {
  [field: string]: unknown;

  @IsNotEmpty()
  @IsString()
  @IsDefined()
  trigger: string;

  @ValidateNested()
  @IsObject()
  @IsDefined()
  @Type(() => CallbackMessageDto)
  data: CallbackMessageDto;

  @IsOptional()
  @IsString()
  bot?: string;

  @IsOptional()
  @IsString()
  appId?: string;
}

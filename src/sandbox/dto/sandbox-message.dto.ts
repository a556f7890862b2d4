import { Transform, Type } from 'class-transformer';
import { IsDefined, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateIf, ValidateNested } from 'class-validator';

// CometChat UIDs and GUIDs: letters, digits, "_" and "-", up to 100 characters, lowercased by CometChat.
const ID = /^[a-z0-9_-]{1,100}$/;
const lowercase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class SandboxSenderDto {
  @Transform(lowercase)
  @Matches(ID, { message: 'sender.uid must be 1-100 letters, digits, "_" or "-"' })
  uid: string;

  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;
}

export class SandboxConversationDto {
  @IsIn(['user', 'group'])
  type: 'user' | 'group';

  @ValidateIf((conversation: SandboxConversationDto) => conversation.type === 'group')
  @Transform(lowercase)
  @Matches(ID, { message: 'conversation.id must be a group id: 1-100 letters, digits, "_" or "-"' })
  id?: string;
}

/** What the chat page posts: who speaks, where, and what. The server turns it into a CometChat callback. */
export class SandboxMessageDto {
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => SandboxSenderDto)
  sender: SandboxSenderDto;

  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => SandboxConversationDto)
  conversation: SandboxConversationDto;

  @IsString()
  @IsNotEmpty()
  @MaxLength(10_000)
  text: string;

  /** The bot it is to, with several bots (the page's picker); absent: the first bot. */
  @IsOptional()
  @Transform(lowercase)
  @Matches(ID, { message: 'bot must be a bot uid: 1-100 letters, digits, "_" or "-"' })
  bot?: string;

  /** Send again under an earlier message id, to see how a redelivery is answered (`duplicate`). */
  @IsOptional()
  @Matches(/^\d{1,13}$/, { message: 'id must be the digits of an earlier message id' })
  id?: string;

  /** The page's own reference, echoed back in the feed so it can match its pending bubble. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  clientRef?: string;
}

import { Transform, Type } from 'class-transformer';
import { IsDefined, IsNotEmpty, IsObject, IsString, MaxLength, ValidateNested } from 'class-validator';
import { SandboxSenderDto } from './sandbox-message.dto';

const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** The new text of a page message the user edits. */
export class SandboxEditDto {
  @Transform(trimmed)
  @IsString()
  @IsNotEmpty()
  @MaxLength(10_000)
  text: string;
}

/** A reaction the page's user gives a bot reply (👍 / 👎 on the page; CometChat takes any emoji). */
export class SandboxReactionDto {
  @Transform(trimmed)
  @IsString()
  @IsNotEmpty()
  @MaxLength(16)
  reaction: string;

  /** Who reacts: the page's user. */
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => SandboxSenderDto)
  sender: SandboxSenderDto;
}

import { applyDecorators } from '@nestjs/common';
import { Transform, Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import {
  AGENT_TOKEN_PATTERN,
  COMETCHAT_REGIONS,
  type CometChatRegion,
  GROUP_CHAT_SETTINGS,
  type GroupChatSetting,
  HTTP_URL_PATTERN,
  MAX_SENDS_PER_MINUTE,
  MAX_UID_LENGTH,
  MAX_WEBHOOK_PASSWORD_LENGTH,
  MAX_WEBHOOK_USERNAME_LENGTH,
  toInt,
  toUid,
  WEBHOOK_USERNAME_PATTERN,
} from './bot-rules';

/*
 * The entries of BOTS_FILE, by the rules of the single-bot variables (bot-rules.ts). Messages start with `$property`:
 * bots-file.ts puts the entry's path in its place (`bots[0].webhook.password …`). None of them shows a value.
 */

/** YAML reads `123` as a number: a value of digits has to be quoted to be text. */
const Text = () =>
  applyDecorators(
    IsString({ message: '$property must be text (quote a value made of digits)' }),
    IsNotEmpty({ message: '$property must not be empty' }),
  );

/** `apps.<name>`: a CometChat app. */
export class BotsFileAppDto {
  @Text()
  appId: string;

  @IsIn(COMETCHAT_REGIONS, { message: `$property must be one of: ${COMETCHAT_REGIONS.join(', ')}` })
  region: CometChatRegion;

  // Required in live mode: bots-file.ts checks it, since the mode depends on every app.
  @IsOptional()
  @Text()
  apiKey?: string;

  @IsOptional()
  @Matches(HTTP_URL_PATTERN, { message: '$property must be an http(s) URL' })
  apiUrl?: string;
}

/** `bots[].webhook`: the Basic Auth CometChat sends with this bot's callbacks. */
export class BotsFileWebhookDto {
  @Text()
  @MaxLength(MAX_WEBHOOK_USERNAME_LENGTH, { message: `$property must be at most ${MAX_WEBHOOK_USERNAME_LENGTH} characters` })
  @Matches(WEBHOOK_USERNAME_PATTERN, { message: '$property must not contain ":" (Basic Auth separator)' })
  username: string;

  @Text()
  @MaxLength(MAX_WEBHOOK_PASSWORD_LENGTH, {
    message: `$property must be at most ${MAX_WEBHOOK_PASSWORD_LENGTH} characters (CometChat’s limit for a bot’s Basic Auth password)`,
  })
  password: string;
}

/** `bots[].llm`: the LLM responder as this bot runs it; each absent setting is the environment's (LLM_*). */
export class BotsFileLlmDto {
  @IsOptional()
  @Text()
  model?: string;

  @IsOptional()
  @Text()
  systemPrompt?: string;

  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: '$property must be a whole number of tokens' })
  @Min(1, { message: '$property must be at least 1' })
  dailyTokensPerUser?: number;
}

/** `bots[]`: one bot this service serves. */
export class BotsFileBotDto {
  @Transform(toUid)
  @Text()
  @MaxLength(MAX_UID_LENGTH, { message: `$property must be at most ${MAX_UID_LENGTH} characters` })
  uid: string;

  /** A name under `apps`. */
  @Text()
  app: string;

  @IsObject({ message: '$property must be a mapping: { username, password }' })
  @ValidateNested()
  @Type(() => BotsFileWebhookDto)
  webhook: BotsFileWebhookDto;

  @IsOptional()
  @IsIn(GROUP_CHAT_SETTINGS, { message: `$property must be one of: ${GROUP_CHAT_SETTINGS.join(', ')}` })
  groupChatSetting?: GroupChatSetting;

  // Whether each name is a responder is known once the app is built: ResponderRegistry checks it.
  @IsOptional()
  @IsArray({ message: '$property must be a list of responder names' })
  @IsString({ each: true, message: '$property must be a list of responder names' })
  @IsNotEmpty({ each: true, message: '$property must be a list of responder names' })
  responders?: string[];

  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: '$property must be a whole number of sends a minute' })
  @Min(1, { message: '$property must be at least 1' })
  @Max(MAX_SENDS_PER_MINUTE, { message: `$property must be at most ${MAX_SENDS_PER_MINUTE}` })
  sendsPerMinute?: number;

  @IsOptional()
  @Matches(AGENT_TOKEN_PATTERN, { message: '$property must be at least 16 printable characters, without spaces' })
  agentToken?: string;

  @IsOptional()
  @IsObject({ message: '$property must be a mapping: { model, systemPrompt, dailyTokensPerUser }' })
  @ValidateNested()
  @Type(() => BotsFileLlmDto)
  llm?: BotsFileLlmDto;
}

import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { validateSync, ValidationError } from 'class-validator';
import { CallbackMessageDto, CometChatCallbackDto, MessageContentDto } from './dto/cometchat-callback.dto';
import { compileDtoCheck } from './dto-fast-check';

/** Flattens nested errors into "data.id must be a string" style lines, one per field. */
export function describeValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) =>
      // class-validator prefixes messages with the bare property; show the full path instead.
      m.startsWith(`${path} `) ? m : m.startsWith(`${e.property} `) ? `${path}${m.slice(e.property.length)}` : `${path}: ${m}`,
    );
    return [...own, ...describeValidationErrors(e.children ?? [], path)];
  });
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The DTO view class-validator needs: shallow copies with the DTO prototypes, down to the message content.
 * plainToInstance would deep-copy the whole body (entities and all) on every request, for fields we never check.
 */
function asDto(body: Record<string, unknown>): CometChatCallbackDto {
  const dto = Object.assign(Object.create(CometChatCallbackDto.prototype), body) as CometChatCallbackDto;
  if (isPlainObject(body.data)) {
    const message = Object.assign(Object.create(CallbackMessageDto.prototype), body.data) as CallbackMessageDto;
    if (isPlainObject(message.data)) message.data = Object.assign(Object.create(MessageContentDto.prototype), message.data) as MessageContentDto;
    dto.data = message;
  }
  return dto;
}

/** How deep a callback may nest (objects and arrays); CometChat's own payloads use well under ten levels. */
export const MAX_CALLBACK_DEPTH = 64;

/** Whether `value` nests deeper than `limit` levels; stops at the first branch that does. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit === 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (nestsDeeperThan(item, limit - 1)) return true;
    return false;
  }
  for (const key in value) if (nestsDeeperThan((value as Record<string, unknown>)[key], limit - 1)) return true;
  return false;
}

/**
 * Validates a callback synchronously (no promise per request) and hands the original body on, so that
 * every field CometChat sent, declared or not, reaches the queue as it came.
 */
@Injectable()
export class CallbackValidationPipe implements PipeTransform<unknown, CometChatCallbackDto> {
  private readonly isValid = compileDtoCheck(CometChatCallbackDto);

  transform(body: unknown): CometChatCallbackDto {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new BadRequestException('Request body must be a JSON object');
    }
    // A body nested too deep could not be stored (serialising it overflows the stack): refused, never a 503.
    if (nestsDeeperThan(body, MAX_CALLBACK_DEPTH)) {
      throw new BadRequestException(`Invalid callback: nested deeper than ${MAX_CALLBACK_DEPTH} levels`);
    }
    if (this.isValid(body as Record<string, unknown>)) return body as CometChatCallbackDto;
    // Only a body the compiled check refuses pays for class-validator's full run, which words the 400.
    const errors = validateSync(asDto(body as Record<string, unknown>), {
      stopAtFirstError: true,
      forbidUnknownValues: false,
    });
    if (errors.length > 0) {
      throw new BadRequestException(`Invalid callback: ${describeValidationErrors(errors).join('; ')}`);
    }
    return body as CometChatCallbackDto;
  }
}

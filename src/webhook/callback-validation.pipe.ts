import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { CometChatCallbackDto } from './dto/cometchat-callback.dto';

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

/**
 * Validates a callback synchronously (no promise per request) and hands the original body on, so that
 * every field CometChat sent, declared or not, reaches the queue as it came.
 */
@Injectable()
export class CallbackValidationPipe implements PipeTransform<unknown, CometChatCallbackDto> {
  transform(body: unknown): CometChatCallbackDto {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new BadRequestException('Request body must be a JSON object');
    }
    const errors = validateSync(plainToInstance(CometChatCallbackDto, body), {
      stopAtFirstError: true,
      forbidUnknownValues: false,
    });
    if (errors.length > 0) {
      throw new BadRequestException(`Invalid callback: ${describeValidationErrors(errors).join('; ')}`);
    }
    return body as CometChatCallbackDto;
  }
}

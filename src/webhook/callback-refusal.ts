import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { CometChatCallbackDto } from './dto/cometchat-callback.dto';

/** How deep a callback may nest (objects and arrays); CometChat's own payloads use well under ten levels. */
export const MAX_CALLBACK_DEPTH = 64;

/**
 * Why a webhook body is refused (its 400's message), or null when it is a callback (or `dto`'s body) to take. `schemaRefused` is the
 * route's compiled check (the DTO's JSON schema, run by Fastify before the handler); a body it refused is put to
 * class-validator itself, which names every bad field in the DTO's own words. Only refused bodies pay for that.
 */
export function refusalOf(body: unknown, schemaRefused: boolean, dto: new () => object = CometChatCallbackDto, what = 'callback'): string | null {
  if (!isPlainObject(body)) return 'Request body must be a JSON object';
  // A body nested too deep could not be stored (serialising it overflows the stack): refused, never a 503.
  if (nestsDeeperThan(body, MAX_CALLBACK_DEPTH)) return `Invalid ${what}: nested deeper than ${MAX_CALLBACK_DEPTH} levels`;
  if (!schemaRefused) return null;
  // A copy with the DTOs' prototypes (class-transformer follows their @Type()s), as class-validator needs.
  const errors = validateSync(plainToInstance(dto, body), { stopAtFirstError: true, forbidUnknownValues: false });
  // The schema is derived from the DTO and specs hold them to the same answers; should they ever part, the DTO decides.
  return errors.length > 0 ? `Invalid ${what}: ${describeValidationErrors(errors).join('; ')}` : null;
}

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

import 'reflect-metadata'; // Reflect.getMetadata, for a nested DTO's design type
import Ajv from 'ajv';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { IS_OPTIONAL, ValidationTypes } from 'class-validator';
import { targetConstructorToSchema } from 'class-validator-jsonschema';
import type { FastifySchemaCompiler } from 'fastify';

/** A JSON schema, as much of it as this file reads and writes. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  [keyword: string]: unknown;
}
/** What class-validator-jsonschema speaks: OpenAPI's schema object. */
type Derived = ReturnType<typeof targetConstructorToSchema>;
type Dto = abstract new (...args: never[]) => object;

/** JSON Schema keywords that also judge a null; every other one applies to one type only. */
const JUDGES_NULL = ['enum', 'const', 'not', 'allOf', 'anyOf', 'oneOf', 'if', '$ref'];

/**
 * The JSON schema of a class-validator DTO, derived by class-validator-jsonschema: the DTO stays the one statement
 * of a body's shape, and ajv compiles this into the check Fastify runs. Two things make it say what class-validator
 * says:
 * - nested DTOs (@ValidateNested with @Type) are inlined, so the schema stands alone (no `$ref` to resolve);
 * - an @IsOptional() field may be null as well as absent, as class-validator skips both.
 * What it cannot state the same way (a @ValidateIf condition, a DTO nested in itself) fails here, at boot.
 */
export function jsonSchemaOf(dto: Dto, enclosing: readonly Dto[] = []): JsonSchema {
  if (enclosing.includes(dto)) throw new Error(`${dto.name} nests itself; its schema would never end`);
  const schema = targetConstructorToSchema(dto, {
    classTransformerMetadataStorage: defaultMetadataStorage,
    additionalConverters: {
      [ValidationTypes.NESTED_VALIDATION]: ({ target, propertyName }) => {
        const nested =
          defaultMetadataStorage.findTypeMetadata(target as Dto, propertyName)?.typeFunction() ??
          (Reflect.getMetadata('design:type', (target as Dto).prototype as object, propertyName) as unknown);
        if (typeof nested !== 'function' || nested === Object || nested === Array) {
          throw new Error(`${dto.name}.${propertyName}: @ValidateNested() needs @Type(() => TheDto) to know its shape`);
        }
        return jsonSchemaOf(nested as Dto, [...enclosing, dto]) as Derived;
      },
      [ValidationTypes.CONDITIONAL_VALIDATION]: ({ name, propertyName }) => {
        if (name !== IS_OPTIONAL) throw new Error(`${dto.name}.${propertyName}: only @IsOptional() conditions have a JSON schema`);
        return {};
      },
    },
  }) as JsonSchema;
  const required = new Set(schema.required ?? []);
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (!required.has(name)) schema.properties![name] = orNull(property);
    else if (typeof property.type === 'string' && isNotNull(property.not)) delete property.not; // its type refuses null already
  }
  return schema;
}

/** @IsDefined()'s schema: `not: {type: 'null'}`. */
const isNotNull = (schema: unknown) => JSON.stringify(schema) === '{"type":"null"}';

/** The schema with null allowed besides: in its `type` where that is all that could refuse a null. */
function orNull(schema: JsonSchema): JsonSchema {
  const typeOnly = typeof schema.type === 'string' && !JUDGES_NULL.some((keyword) => keyword in schema);
  return typeOnly ? { ...schema, type: [schema.type as string, 'null'] } : { if: { type: 'null' }, else: schema };
}

/**
 * The webhook's own ajv: it checks and changes nothing. Fastify's default one coerces types (`"id": 123` would
 * pass as "123"), fills defaults and removes properties a schema closes; a callback must reach the queue as it came.
 * One error is enough: class-validator words the 400 (only bodies refused pay for it).
 */
const ajv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false });

/** Compiles a route's schema with the webhook's ajv (Fastify's `validatorCompiler`). */
export const strictValidatorCompiler: FastifySchemaCompiler<JsonSchema> = ({ schema }) => ajv.compile(schema);

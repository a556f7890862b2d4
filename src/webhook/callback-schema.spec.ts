import { Type } from 'class-transformer';
import { IsOptional, IsString, ValidateIf, ValidateNested } from 'class-validator';
import { refusalOf } from './callback-refusal';
import { jsonSchemaOf, strictValidatorCompiler } from './callback-schema';
import { CometChatCallbackDto } from './dto/cometchat-callback.dto';

const fixtures = [
  'user-text',
  'group-mention',
  'group-thread-reply',
  'user-image',
  'user-custom-location',
  'bot-own-message',
  'group-action-joined',
].map((name) => require(`../../test/fixtures/${name}.json`));
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** The check the route runs: the DTO's derived schema, compiled by the webhook's ajv. */
const schemaCheck = strictValidatorCompiler({
  schema: jsonSchemaOf(CometChatCallbackDto),
  method: 'POST',
  url: '/webhooks/cometchat',
  httpPart: 'body',
}) as (body: unknown) => boolean;
/** class-validator's own verdict on the DTO (what the route asks when the schema refuses). */
const dtoAccepts = (body: unknown) => refusalOf(body, true) === null;

/** Every way a field can be wrong that the DTO speaks of, applied one at a time. */
const mutations: Array<[string, (body: any) => void]> = [
  ['no trigger', (b) => delete b.trigger],
  ['numeric trigger', (b) => (b.trigger = 1)],
  ['empty trigger', (b) => (b.trigger = '')],
  ['an array trigger', (b) => (b.trigger = ['after_message'])],
  ['no data', (b) => delete b.data],
  ['null data', (b) => (b.data = null)],
  ['data is a string', (b) => (b.data = 'x')],
  ['data is an array', (b) => (b.data = [])],
  ['data is an array of messages', (b) => (b.data = [b.data])],
  ['no id', (b) => delete b.data.id],
  ['numeric id', (b) => (b.data.id = 1045)],
  ['id with a colon', (b) => (b.data.id = '10:45')],
  ['empty id', (b) => (b.data.id = '')],
  ['id too long', (b) => (b.data.id = '1'.repeat(101))],
  ['id at its longest', (b) => (b.data.id = '1'.repeat(100))],
  ['no sender', (b) => delete b.data.sender],
  ['empty receiver', (b) => (b.data.receiver = '')],
  ['receiverType room', (b) => (b.data.receiverType = 'room')],
  ['receiverType missing', (b) => delete b.data.receiverType],
  ['null category', (b) => (b.data.category = null)],
  ['numeric type', (b) => (b.data.type = 3)],
  ['numeric parentId', (b) => (b.data.parentId = 7)],
  ['string sentAt', (b) => (b.data.sentAt = 'yesterday')],
  ['numeric string sentAt', (b) => (b.data.sentAt = '1717000000')],
  ['content is a string', (b) => (b.data.data = 'hi')],
  ['content is an array', (b) => (b.data.data = [{ text: 5 }])],
  ['numeric text', (b) => (b.data.data = { ...b.data.data, text: 5 })],
  ['boolean text', (b) => (b.data.data = { ...b.data.data, text: true })],
  ['attachments object', (b) => (b.data.data = { ...b.data.data, attachments: {} })],
  ['metadata array', (b) => (b.data.data = { ...b.data.data, metadata: [] })],
  ['mentions a string', (b) => (b.data.data = { ...b.data.data, mentions: 'x' })],
  ['numeric bot', (b) => (b.bot = 5)],
  [
    'optional fields null',
    (b) => Object.assign(b, { bot: null, appId: null }) && Object.assign(b.data, { parentId: null, sentAt: null, data: null }),
  ],
  ['optional content fields null', (b) => (b.data.data = { text: null, attachments: null, metadata: null, customData: null, mentions: null })],
  ['optional fields absent', (b) => delete b.bot && delete b.appId && delete b.data.data && delete b.data.sentAt],
  [
    'unknown fields everywhere',
    (b) => Object.assign(b, { x: 1 }) && Object.assign(b.data, { y: [1] }) && (b.data.data = { ...b.data.data, z: null }),
  ],
];

describe("the callback's JSON schema, derived from the DTO", () => {
  it.each(fixtures.map((f) => [f.data.id, f]))('accepts the real callback %s, as class-validator does', (_, body) => {
    expect(schemaCheck(clone(body))).toBe(true);
    expect(dtoAccepts(clone(body))).toBe(true);
  });

  it.each(mutations)('answers as class-validator does on: %s', (_, mutate) => {
    for (const fixture of fixtures) {
      const body = clone(fixture);
      mutate(body);
      expect({ id: fixture.data.id, accepted: schemaCheck(clone(body)) }).toEqual({ id: fixture.data.id, accepted: dtoAccepts(clone(body)) });
    }
  });

  it.each([
    ['a missing data.id', (b: any) => delete b.data.id],
    ['a numeric data.id', (b: any) => (b.data.id = 123)],
    ['a numeric sentAt given as a string', (b: any) => (b.data.sentAt = '1717000000')],
    ['a receiverType outside its enum', (b: any) => (b.data.receiverType = 'room')],
  ])('refuses %s, and coerces nothing on the way', (_, spoil) => {
    const body = clone(fixtures[0]);
    spoil(body);
    const sent = clone(body);
    expect(schemaCheck(body)).toBe(false);
    expect(body).toEqual(sent);
  });

  it('leaves a callback it accepts exactly as it came: unknown fields kept, nothing added or converted', () => {
    const body = clone(fixtures[0]);
    Object.assign(body, { extraEnvelopeField: 42 });
    Object.assign(body.data, { somethingNew: { from: 'a later CometChat version' }, parentId: null });
    const sent = clone(body);
    expect(schemaCheck(body)).toBe(true);
    expect(body).toStrictEqual(sent);
  });

  it('stands alone: nested DTOs inlined, no $ref for Fastify to resolve', () => {
    const schema = jsonSchemaOf(CometChatCallbackDto);
    expect(JSON.stringify(schema)).not.toContain('$ref');
    expect(schema.properties?.data.properties?.data.properties?.text).toEqual({ type: ['string', 'null'] });
  });

  it('refuses at boot what it cannot state as class-validator does, rather than skipping it', () => {
    class Conditional {
      @ValidateIf(() => true)
      @IsString()
      name: string;
    }
    class Untyped {
      @ValidateNested()
      child: unknown;
    }
    class Tree {
      @IsOptional()
      @ValidateNested()
      @Type(() => Tree)
      child?: Tree;
    }
    expect(() => jsonSchemaOf(Conditional)).toThrow(/only @IsOptional\(\) conditions/);
    expect(() => jsonSchemaOf(Untyped)).toThrow(/needs @Type/);
    expect(() => jsonSchemaOf(Tree)).toThrow(/nests itself/);
  });
});

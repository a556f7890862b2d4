import { IsString, ValidateIf, ValidateNested } from 'class-validator';
import { CallbackValidationPipe } from './callback-validation.pipe';
import { CometChatCallbackDto } from './dto/cometchat-callback.dto';
import { compileDtoCheck } from './dto-fast-check';

const fixtures = ['user-text', 'group-mention', 'group-thread-reply', 'user-image', 'user-custom-location', 'bot-own-message'].map((name) =>
  require(`../../test/fixtures/${name}.json`),
);

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** Every way a field can be wrong that the DTO speaks of, applied one at a time. */
const mutations: Array<[string, (body: any) => void]> = [
  ['no trigger', (b) => delete b.trigger],
  ['numeric trigger', (b) => (b.trigger = 1)],
  ['empty trigger', (b) => (b.trigger = '')],
  ['no data', (b) => delete b.data],
  ['data is a string', (b) => (b.data = 'x')],
  ['data is an array', (b) => (b.data = [])],
  ['numeric id', (b) => (b.data.id = 1045)],
  ['id with a colon', (b) => (b.data.id = '10:45')],
  ['id too long', (b) => (b.data.id = '1'.repeat(101))],
  ['no sender', (b) => delete b.data.sender],
  ['empty receiver', (b) => (b.data.receiver = '')],
  ['receiverType room', (b) => (b.data.receiverType = 'room')],
  ['null category', (b) => (b.data.category = null)],
  ['numeric type', (b) => (b.data.type = 3)],
  ['numeric parentId', (b) => (b.data.parentId = 7)],
  ['string sentAt', (b) => (b.data.sentAt = 'yesterday')],
  ['content is a string', (b) => (b.data.data = 'hi')],
  ['numeric text', (b) => (b.data.data = { ...b.data.data, text: 5 })],
  ['attachments object', (b) => (b.data.data = { ...b.data.data, attachments: {} })],
  ['metadata array', (b) => (b.data.data = { ...b.data.data, metadata: [] })],
  ['numeric bot', (b) => (b.bot = 5)],
  ['optional fields null', (b) => Object.assign(b, { bot: null, appId: null }) && Object.assign(b.data, { parentId: null, data: null })],
  ['optional fields absent', (b) => delete b.bot && delete b.appId && delete b.data.data && delete b.data.sentAt],
];

describe('compileDtoCheck', () => {
  const fast = compileDtoCheck(CometChatCallbackDto);
  const pipe = new CallbackValidationPipe();
  const classValidatorAccepts = (body: unknown) => {
    try {
      // The pipe's slow path is class-validator itself; force it by bypassing the fast check.
      (pipe as any).isValid = () => false;
      pipe.transform(body);
      return true;
    } catch {
      return false;
    } finally {
      delete (pipe as any).isValid;
    }
  };

  it.each(fixtures.map((f) => [f.data.id, f]))('accepts fixture %s, as class-validator does', (_, body) => {
    expect(fast(clone(body))).toBe(true);
    expect(classValidatorAccepts(clone(body))).toBe(true);
  });

  it.each(mutations)('agrees with class-validator on: %s', (_, mutate) => {
    for (const fixture of fixtures) {
      const body = clone(fixture);
      mutate(body);
      expect(fast(body)).toBe(classValidatorAccepts(clone(body)));
    }
  });

  it('refuses at startup a rule it cannot compile, rather than skipping it', () => {
    class Conditional {
      @ValidateIf(() => true)
      @IsString()
      name: string;
    }
    class EachString {
      @IsString({ each: true })
      names: string[];
    }
    class UntypedNested {
      @ValidateNested()
      child: unknown;
    }
    expect(() => compileDtoCheck(Conditional)).toThrow(/only @IsOptional/);
    expect(() => compileDtoCheck(EachString)).toThrow(/not supported/);
    expect(() => compileDtoCheck(UntypedNested)).toThrow(/nested DTO type unknown/);
  });
});

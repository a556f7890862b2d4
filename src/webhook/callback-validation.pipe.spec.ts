import { BadRequestException } from '@nestjs/common';
import { CallbackValidationPipe, MAX_CALLBACK_DEPTH } from './callback-validation.pipe';

const userText = () => JSON.parse(JSON.stringify(require('../../test/fixtures/user-text.json')));

/** The BadRequestException message for a body, or a failure if the body was accepted. */
function rejection(body: unknown): string {
  try {
    new CallbackValidationPipe().transform(body);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return (error as BadRequestException).message;
  }
  throw new Error('expected the body to be refused');
}

/** Matches a problem line that starts with exactly this field path (so "data.id" does not match "data.data.id"). */
const namesField = (field: string) => new RegExp(`(: |; )${field.replace(/\./g, '\\.')} `);

describe('CallbackValidationPipe', () => {
  const pipe = new CallbackValidationPipe();

  it('returns the very body it was given, unknown fields included', () => {
    const body = userText();
    const result = pipe.transform(body);
    expect(result).toBe(body);
    expect(result).toEqual(userText());
    expect((result as any).origin).toEqual({ platform: 'web', language: 'reactjs', resource: 'chat-widget' });
    expect((result as any).data.muid).toBe('_k3x9q1z7a');
  });

  it.each([
    ['an array', [userText()]],
    ['a string', '{"trigger":"after_message"}'],
    ['null', null],
  ])('refuses %s as not a JSON object', (_, body) => {
    expect(rejection(body)).toBe('Request body must be a JSON object');
  });

  it.each([
    ['data.id is missing', (b: any) => delete b.data.id, 'data.id'],
    ['data.id is a number', (b: any) => (b.data.id = 1045), 'data.id'],
    ['data.id contains ":"', (b: any) => (b.data.id = '10:45'), 'data.id'],
    ['receiverType is not user/group', (b: any) => (b.data.receiverType = 'room'), 'data.receiverType'],
    ['the nested text is not a string', (b: any) => (b.data.data.text = 5), 'data.data.text'],
  ])('names the field when %s', (_, spoil, field) => {
    const body = userText();
    spoil(body);
    expect(rejection(body)).toMatch(namesField(field));
  });

  it('names every bad field at once', () => {
    const body = userText();
    delete body.trigger;
    delete body.data.sender;
    body.data.receiverType = 'room';
    const message = rejection(body);
    for (const field of ['trigger', 'data.sender', 'data.receiverType']) expect(message).toMatch(namesField(field));
  });

  it('refuses a body nested deeper than the documented limit, and takes one at the limit', () => {
    const nest = (levels: number) => {
      let value: unknown = 1;
      for (let i = 0; i < levels; i++) value = { a: value };
      return value;
    };
    const deep = userText();
    deep.data.data.metadata = nest(MAX_CALLBACK_DEPTH);
    expect(rejection(deep)).toContain(`nested deeper than ${MAX_CALLBACK_DEPTH} levels`);
    const fine = userText();
    fine.data.data.metadata = nest(MAX_CALLBACK_DEPTH - 4); // the body, data and data.data hold it 3 deep
    expect(pipe.transform(fine)).toBe(fine);
  });
});

import { MAX_CALLBACK_DEPTH, refusalOf } from './callback-refusal';

const userText = () => JSON.parse(JSON.stringify(require('../../test/fixtures/user-text.json')));

/** The 400 message for a body the route's schema refused, or a failure if the body was taken. */
function rejection(body: unknown): string {
  const refusal = refusalOf(body, true);
  if (refusal === null) throw new Error('expected the body to be refused');
  return refusal;
}

/** Matches a problem line that starts with exactly this field path (so "data.id" does not match "data.data.id"). */
const namesField = (field: string) => new RegExp(`(: |; )${field.replace(/\./g, '\\.')} `);

describe('refusalOf', () => {
  it('takes a callback the schema passed', () => {
    expect(refusalOf(userText(), false)).toBeNull();
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

  it("words the 400 in class-validator's words, the DTO's own message included", () => {
    const body = userText();
    body.data.id = 1045;
    expect(rejection(body)).toBe('Invalid callback: data.id must be a string');
    body.data.id = '10:45';
    expect(rejection(body)).toBe('Invalid callback: data.id must be letters, digits, "_", "-" or "."');
  });

  it('names every bad field at once', () => {
    const body = userText();
    delete body.trigger;
    delete body.data.sender;
    body.data.receiverType = 'room';
    const message = rejection(body);
    for (const field of ['trigger', 'data.sender', 'data.receiverType']) expect(message).toMatch(namesField(field));
  });

  it('refuses a body nested deeper than the documented limit, schema or not, and takes one at the limit', () => {
    const nest = (levels: number) => {
      let value: unknown = 1;
      for (let i = 0; i < levels; i++) value = { a: value };
      return value;
    };
    const deep = userText();
    deep.data.data.metadata = nest(MAX_CALLBACK_DEPTH);
    expect(refusalOf(deep, false)).toBe(`Invalid callback: nested deeper than ${MAX_CALLBACK_DEPTH} levels`);
    const fine = userText();
    fine.data.data.metadata = nest(MAX_CALLBACK_DEPTH - 4); // the body, data and data.data hold it 3 deep
    expect(refusalOf(fine, false)).toBeNull();
  });
});

import { apiButton, cardReply, customReply, formReply, FormField, mediaReply, mention, textReply, urlButton } from './reply.builders';

// Field names follow the Send Bot Message body (cometchat-api.md §4): data.text, data.metadata,
// data.attachments[{url,name,mimeType,extension,size}], data.customData, and for interactive messages
// data.interactiveData / data.interactionGoal / data.allowSenderInteraction.

describe('textReply', () => {
  it('builds a text message', () => {
    expect(textReply('Hello')).toEqual({ category: 'message', type: 'text', data: { text: 'Hello' } });
  });

  it('adds metadata under data.metadata and the thread parentId', () => {
    expect(textReply('Hello', { metadata: { orderId: '5521' }, parentId: '2310' })).toEqual({
      category: 'message',
      type: 'text',
      data: { text: 'Hello', metadata: { orderId: '5521' } },
      parentId: '2310',
    });
  });

  it('adds neither key when the options are absent', () => {
    const reply = textReply('Hello', {});
    expect(reply).not.toHaveProperty('parentId');
    expect(reply.data).not.toHaveProperty('metadata');
  });

  it('keeps the text exactly as given', () => {
    expect(textReply('  two\nlines  ').data.text).toBe('  two\nlines  ');
  });

  it.each([[''], ['   '], ['\n\t']])('refuses empty text (%j): CometChat would reject it', (text) => {
    expect(() => textReply(text)).toThrow(/text/);
  });
});

describe('mention', () => {
  it('is the token CometChat renders as a mention', () => {
    expect(mention('cometchat-uid-2')).toBe('<@uid:cometchat-uid-2>');
    expect(textReply(`${mention('cometchat-uid-2')} done`).data.text).toBe('<@uid:cometchat-uid-2> done');
  });
});

describe('mediaReply', () => {
  it('builds a message with one attachment and derives the extension from the name', () => {
    expect(mediaReply('image', { url: 'https://cdn.example.com/r.png', name: 'receipt.PNG', mimeType: 'image/png' })).toEqual({
      category: 'message',
      type: 'image',
      data: { attachments: [{ url: 'https://cdn.example.com/r.png', name: 'receipt.PNG', mimeType: 'image/png', extension: 'png' }] },
    });
  });

  it.each(['image', 'video', 'audio', 'file'] as const)('sets the message type %s', (type) => {
    const reply = mediaReply(type, { url: 'https://x/a.bin', name: 'a.bin', mimeType: 'application/octet-stream' });
    expect(reply).toMatchObject({ category: 'message', type });
  });

  it('keeps an explicit extension and the size', () => {
    const reply = mediaReply('file', { url: 'https://x/report', name: 'report', mimeType: 'application/pdf', extension: 'pdf', size: 2048 });
    expect(reply.data.attachments).toEqual([{ url: 'https://x/report', name: 'report', mimeType: 'application/pdf', extension: 'pdf', size: 2048 }]);
  });

  it('uses the last dot of the name, and an empty extension when the name has none', () => {
    expect((mediaReply('file', { url: 'u', name: 'backup.tar.gz', mimeType: 'application/gzip' }).data.attachments as any)[0].extension).toBe('gz');
    expect((mediaReply('file', { url: 'u', name: 'README', mimeType: 'text/plain' }).data.attachments as any)[0].extension).toBe('');
  });

  it('takes metadata and parentId', () => {
    const reply = mediaReply('audio', { url: 'u', name: 'v.mp3', mimeType: 'audio/mpeg' }, { metadata: { k: 1 }, parentId: '7' });
    expect(reply.data.metadata).toEqual({ k: 1 });
    expect(reply.parentId).toBe('7');
  });
});

describe('customReply', () => {
  it('builds a custom message with data.customData', () => {
    expect(customReply('location', { latitude: 52.5, longitude: 13.4 }, { metadata: { source: 'bot' } })).toEqual({
      category: 'custom',
      type: 'location',
      data: { customData: { latitude: 52.5, longitude: 13.4 }, metadata: { source: 'bot' } },
    });
  });

  it('refuses an empty customData (CometChat answers ERR_EMPTY_CUSTOM_DATA)', () => {
    expect(() => customReply('location', {})).toThrow(/customData/);
  });
});

describe('buttons', () => {
  it('urlButton navigates to a URL', () => {
    expect(urlButton('docs', 'Open docs', 'https://example.com/docs')).toEqual({
      elementType: 'button',
      elementId: 'docs',
      buttonText: 'Open docs',
      action: { actionType: 'urlNavigation', url: 'https://example.com/docs' },
    });
  });

  it('apiButton calls an API with method, payload, headers and dataKey', () => {
    expect(
      apiButton('submit', 'Send', {
        url: 'https://api.example.com/forms',
        method: 'POST',
        payload: { a: 1 },
        headers: { 'x-k': 'v' },
        dataKey: 'form',
      }),
    ).toEqual({
      elementType: 'button',
      elementId: 'submit',
      buttonText: 'Send',
      action: {
        actionType: 'apiAction',
        url: 'https://api.example.com/forms',
        method: 'POST',
        payload: { a: 1 },
        headers: { 'x-k': 'v' },
        dataKey: 'form',
      },
    });
  });
});

describe('formReply', () => {
  const fields: FormField[] = [
    { elementType: 'textInput', elementId: 'name', label: 'Your name', placeholder: { text: 'Jane' } },
    { elementType: 'dropdown', elementId: 'size', label: 'Size', options: [{ value: 's', label: 'Small' }], defaultValue: 's' },
  ];
  const submit = apiButton('send', 'Send', { url: 'https://api.example.com/forms', method: 'POST' });

  it('builds an interactive form with formFields and a submitElement', () => {
    expect(formReply({ title: 'Order', fields, submit })).toEqual({
      category: 'interactive',
      type: 'form',
      data: {
        interactiveData: { title: 'Order', formFields: fields, submitElement: submit },
        interactionGoal: { type: 'none', elementIds: [] },
        allowSenderInteraction: false,
      },
    });
  });

  it('keeps a given goal, allowSenderInteraction and options', () => {
    const reply = formReply(
      { title: 'Order', fields, submit, goal: { type: 'allOf', elementIds: ['send'] }, allowSenderInteraction: true },
      { metadata: { flow: 'order' }, parentId: '9' },
    );
    expect(reply.data).toMatchObject({
      interactionGoal: { type: 'allOf', elementIds: ['send'] },
      allowSenderInteraction: true,
      metadata: { flow: 'order' },
    });
    expect(reply.parentId).toBe('9');
  });

  it('refuses a form without fields', () => {
    expect(() => formReply({ title: 'Empty', fields: [], submit })).toThrow(/field/);
  });
});

describe('cardReply', () => {
  const actions = [urlButton('track', 'Track', 'https://example.com/t/5521')];

  it('builds an interactive card with text, imageUrl and cardActions', () => {
    expect(cardReply({ text: 'Order #5521 shipped', imageUrl: 'https://example.com/box.png', actions })).toEqual({
      category: 'interactive',
      type: 'card',
      data: {
        interactiveData: { text: 'Order #5521 shipped', imageUrl: 'https://example.com/box.png', cardActions: actions },
        interactionGoal: { type: 'none', elementIds: [] },
        allowSenderInteraction: false,
      },
    });
  });

  it('leaves imageUrl out when there is none', () => {
    expect(cardReply({ text: 'Hi', actions }).data.interactiveData).toEqual({ text: 'Hi', cardActions: actions });
  });

  it('keeps a given goal and allowSenderInteraction', () => {
    expect(cardReply({ text: 'Hi', actions, goal: { type: 'anyAction' }, allowSenderInteraction: true }).data).toMatchObject({
      interactionGoal: { type: 'anyAction' },
      allowSenderInteraction: true,
    });
  });

  it('refuses a card without actions', () => {
    expect(() => cardReply({ text: 'Hi', actions: [] })).toThrow(/action/);
  });
});

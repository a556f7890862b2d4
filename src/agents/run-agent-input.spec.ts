import type { RunAgentInput } from '@ag-ui/core';
import { AG_UI_USER, agentConversation, InvalidRunAgentInputError, NoUserMessageError, parseRunAgentInput, turnOf } from './run-agent-input';

const input = (messages: unknown[], extra: Record<string, unknown> = {}): RunAgentInput =>
  parseRunAgentInput({ threadId: 'thread-1', runId: 'run-1', messages, ...extra });

describe('parseRunAgentInput', () => {
  it('takes a minimal RunAgentInput, tools and context defaulting to none', () => {
    expect(input([{ id: 'm1', role: 'user', content: 'hi' }])).toMatchObject({ threadId: 'thread-1', tools: [], context: [] });
  });

  it('names every bad field by its path', () => {
    let error: unknown;
    try {
      parseRunAgentInput({ runId: 7, messages: [{ id: 'm1', role: 'robot', content: 'x' }] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidRunAgentInputError);
    const problems = (error as InvalidRunAgentInputError).problems;
    expect(problems.map((p) => p.split(':')[0])).toEqual(['threadId', 'runId', 'messages.0.role']);
  });

  it('names the body itself when it is not an object', () => {
    expect(() => parseRunAgentInput(undefined)).toThrow(/body: /);
  });
});

describe('turnOf', () => {
  it('answers the last user message, in a one-to-one conversation named by the thread', () => {
    const run = input([
      { id: 'm1', role: 'user', content: 'first' },
      { id: 'm2', role: 'assistant', content: 'one' },
      { id: 'm3', role: 'user', content: '  second  ' },
    ]);
    const { event } = turnOf(run, 'support-bot', 1234);
    expect(event).toEqual({
      id: 'm3',
      kind: 'message',
      bot: 'support-bot',
      sender: { uid: AG_UI_USER },
      conversation: { type: 'user', id: 'thread-1' },
      category: 'message',
      type: 'text',
      text: 'second',
      mentionsBot: false,
      attachments: [],
      receivedAt: 1234,
      raw: run,
    });
  });

  it("puts the conversation in the bot's own (Conversation.bot) when told to, as with several bots", () => {
    const run = input([{ id: 'm1', role: 'user', content: 'hi' }]);
    expect(turnOf(run, 'sales-bot', 1, 'sales-bot').event).toMatchObject({
      bot: 'sales-bot',
      conversation: { type: 'user', id: 'thread-1', bot: 'sales-bot' },
    });
    expect(turnOf(run, 'sales-bot', 1).event.conversation).toEqual({ type: 'user', id: 'thread-1' });
    expect(agentConversation('thread-1')).toEqual({ type: 'user', id: 'ag-ui:thread-1' });
    expect(agentConversation('thread-1', 'sales-bot')).toEqual({ type: 'user', id: 'ag-ui:thread-1', bot: 'sales-bot' });
  });

  it('takes the sender from forwardedProps.user, else the message’s name', () => {
    const withUser = input([{ id: 'm1', role: 'user', content: 'hi', name: 'Al' }], { forwardedProps: { user: { uid: 'alice', name: 'Alice' } } });
    expect(turnOf(withUser, 'bot').event.sender).toEqual({ uid: 'alice', name: 'Alice' });
    expect(turnOf(input([{ id: 'm1', role: 'user', content: 'hi', name: 'Al' }]), 'bot').event.sender).toEqual({ uid: AG_UI_USER, name: 'Al' });
  });

  it('gives the user and assistant messages before it, with text, as history; the rest is not history', () => {
    const { history } = turnOf(
      input([
        { id: 's', role: 'system', content: 'be nice' },
        { id: 'm1', role: 'user', content: 'my order is 5521', name: 'Alice' },
        { id: 'a1', role: 'assistant', toolCalls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { id: 't1', role: 'tool', toolCallId: 'c1', content: '{"ok":true}' },
        { id: 'a2', role: 'assistant', content: 'Shipped.' },
        { id: 'm2', role: 'user', content: [{ type: 'text', text: 'thanks' }] },
        { id: 'a3', role: 'assistant', content: 'after the last user message' },
      ]),
      'bot',
    );
    expect(history).toEqual([
      { role: 'user', text: 'my order is 5521', sender: 'Alice' },
      { role: 'assistant', text: 'Shipped.' },
    ]);
  });

  it('reads multimodal content: text parts as text, linked files as attachments', () => {
    const { event } = turnOf(
      input([
        {
          id: 'm1',
          role: 'user',
          content: [
            { type: 'text', text: 'look at' },
            { type: 'text', text: 'this' },
            { type: 'image', source: { type: 'url', value: 'https://example.test/a.png', mimeType: 'image/png' } },
            { type: 'image', source: { type: 'data', value: 'iVBORw0KGgo=', mimeType: 'image/png' } },
          ],
        },
      ]),
      'bot',
    );
    expect(event.text).toBe('look at\nthis');
    expect(event.type).toBe('text');
    expect(event.attachments).toEqual([{ url: 'https://example.test/a.png', mimeType: 'image/png' }]);

    const fileOnly = turnOf(
      input([{ id: 'm1', role: 'user', content: [{ type: 'document', source: { type: 'url', value: 'https://x.test/f.pdf' } }] }]),
      'bot',
    );
    expect(fileOnly.event).toMatchObject({ type: 'file', attachments: [{ url: 'https://x.test/f.pdf' }] });
    expect(fileOnly.event.text).toBeUndefined();
  });

  it('refuses a thread with nothing to answer', () => {
    expect(() => turnOf(input([]), 'bot')).toThrow(NoUserMessageError);
    expect(() => turnOf(input([{ id: 'a', role: 'assistant', content: 'hi' }]), 'bot')).toThrow(NoUserMessageError);
    expect(() => turnOf(input([{ id: 'm', role: 'user', content: '   ' }]), 'bot')).toThrow(NoUserMessageError);
  });
});

import { EventType } from '@ag-ui/core';
import { verifyEvents } from '@ag-ui/client';
import { from } from 'rxjs';
import { customReply, formReply, mediaReply, textReply, urlButton, cardReply } from '../responders';
import { ResponderTimeoutError, TurnFailedError } from '../responders';
import { RESPONDER_FAILED, replyText, runErrorOf, RunEvents, RunStoppedError } from './ag-ui-events';

const run = { threadId: 't-1', runId: 'r-1' };
const ids = () => {
  let n = 0;
  return () => `id-${++n}`;
};
/** The events of a whole run, as @ag-ui/client's verifier accepts (or refuses) them. */
const verified = (events: object[]) =>
  new Promise<unknown[]>((resolve, reject) => {
    const passed: unknown[] = [];
    // The client pins its own rxjs: its operator is applied as a function rather than through pipe().
    verifyEvents(false)(from(events) as any).subscribe({ next: (event) => passed.push(event), error: reject, complete: () => resolve(passed) });
  });

describe('RunEvents', () => {
  it('streams text parts into one message, opened by the first and closed at the end', async () => {
    const events = new RunEvents(run, ids());
    const all = [
      ...events.started(),
      ...events.part({ type: 'text', text: 'Hel' }),
      ...events.part({ type: 'text', text: '' }),
      ...events.part({ type: 'text', text: 'lo' }),
      ...events.finished(),
    ];
    expect(all).toEqual([
      { type: EventType.RUN_STARTED, threadId: 't-1', runId: 'r-1' },
      { type: EventType.TEXT_MESSAGE_START, messageId: 'id-1', role: 'assistant' },
      { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'id-1', delta: 'Hel' },
      { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'id-1', delta: 'lo' },
      { type: EventType.TEXT_MESSAGE_END, messageId: 'id-1' },
      { type: EventType.RUN_FINISHED, threadId: 't-1', runId: 'r-1' },
    ]);
    await expect(verified(all)).resolves.toHaveLength(6);
    // The verifier does refuse a broken order: content without its start.
    await expect(verified([all[0], all[2]])).rejects.toThrow();
  });

  it('closes the open text before a tool call, which names it as parent; text after it is a new message', async () => {
    const events = new RunEvents(run, ids());
    const all = [
      ...events.started(),
      ...events.part({ type: 'text', text: 'Checking' }),
      ...events.part({ type: 'tool-call', toolCallId: 'c1', toolName: 'lookup', args: { id: 5 } }),
      ...events.part({ type: 'tool-result', toolCallId: 'c1', toolName: 'lookup', result: 'found' }),
      ...events.part({ type: 'text', text: 'Done' }),
      ...events.finished(),
    ];
    expect(all.slice(3)).toEqual([
      { type: EventType.TEXT_MESSAGE_END, messageId: 'id-1' },
      { type: EventType.TOOL_CALL_START, toolCallId: 'c1', toolCallName: 'lookup', parentMessageId: 'id-1' },
      { type: EventType.TOOL_CALL_ARGS, toolCallId: 'c1', delta: '{"id":5}' },
      { type: EventType.TOOL_CALL_END, toolCallId: 'c1' },
      { type: EventType.TOOL_CALL_RESULT, messageId: 'id-2', toolCallId: 'c1', content: 'found', role: 'tool' },
      { type: EventType.TEXT_MESSAGE_START, messageId: 'id-3', role: 'assistant' },
      { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'id-3', delta: 'Done' },
      { type: EventType.TEXT_MESSAGE_END, messageId: 'id-3' },
      { type: EventType.RUN_FINISHED, threadId: 't-1', runId: 'r-1' },
    ]);
    await expect(verified(all)).resolves.toHaveLength(all.length);
  });

  it('starts a tool call with no parent when no text came first, and sends missing args as {}', () => {
    const events = new RunEvents(run, ids());
    expect(events.part({ type: 'tool-call', toolCallId: 'c1', toolName: 'now', args: undefined })).toEqual([
      { type: EventType.TOOL_CALL_START, toolCallId: 'c1', toolCallName: 'now' },
      { type: EventType.TOOL_CALL_ARGS, toolCallId: 'c1', delta: '{}' },
      { type: EventType.TOOL_CALL_END, toolCallId: 'c1' },
    ]);
  });

  it('sends each reply of a responder that did not stream as a message of its own', async () => {
    const events = new RunEvents(run, ids());
    const all = [...events.started(), ...events.reply(textReply('one')), ...events.reply(textReply('two')), ...events.finished()];
    expect(all.filter((e) => e.type === EventType.TEXT_MESSAGE_CONTENT)).toEqual([
      { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'id-1', delta: 'one' },
      { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'id-2', delta: 'two' },
    ]);
    await expect(verified(all)).resolves.toHaveLength(8);
  });

  it('ends with RUN_ERROR where the run stands, and nothing after it', async () => {
    const events = new RunEvents(run, ids());
    const all = [...events.started(), ...events.part({ type: 'text', text: 'Hal' }), ...events.failed(new Error('boom'))];
    expect(all.at(-1)).toEqual({ type: EventType.RUN_ERROR, message: RESPONDER_FAILED, code: 'RESPONDER_ERROR' });
    expect([...events.part({ type: 'text', text: 'more' }), ...events.finished(), ...events.failed(new Error('again'))]).toEqual([]);
    await expect(verified(all)).resolves.toHaveLength(4);
  });
});

describe('runErrorOf', () => {
  it("shows a responder's own TurnFailedError, a timeout and a stop, and hides every other error's words", () => {
    expect(runErrorOf(new TurnFailedError('no such order'))).toEqual({ message: 'no such order', code: 'TURN_FAILED' });
    expect(runErrorOf(new ResponderTimeoutError('llm', 100))).toEqual({
      message: 'responder "llm" did not answer within 100 ms',
      code: 'RESPONDER_TIMEOUT',
    });
    expect(runErrorOf(new RunStoppedError())).toEqual({ message: 'the service is shutting down', code: 'SERVICE_STOPPING' });
    expect(runErrorOf(new Error('connect ECONNREFUSED 10.0.0.7:5432'))).toEqual({ message: RESPONDER_FAILED, code: 'RESPONDER_ERROR' });
    expect(runErrorOf('a string')).toEqual({ message: RESPONDER_FAILED, code: 'RESPONDER_ERROR' });
  });
});

describe('replyText', () => {
  it('says a reply that is not text in one line', () => {
    expect(replyText(textReply('hi'))).toBe('hi');
    expect(replyText(mediaReply('image', { url: 'https://x.test/cat.png', name: 'cat.png', mimeType: 'image/png' }))).toBe(
      'image: cat.png https://x.test/cat.png',
    );
    expect(replyText(customReply('location', { lat: 1 }))).toBe('[custom: location]');
    expect(replyText(cardReply({ text: 'Your order', actions: [urlButton('b', 'Open', 'https://x.test')] }))).toBe('Your order');
    const form = formReply({
      title: 'Order',
      fields: [{ elementType: 'textInput', elementId: 'n', label: 'Number' } as any],
      submit: { elementType: 'button', elementId: 's', buttonText: 'Go', action: { actionType: 'urlNavigation', url: 'https://x.test' } },
    });
    expect(replyText(form)).toBe('[form: Order]');
  });
});

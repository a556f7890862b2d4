import { EventType } from '@ag-ui/core';
import type { ResponderContext, ResponderStreamPart } from '../../responders';
import { Responder, textReply } from '../../responders';
import { buildEvent, runTurn } from '../../responders/testing';
import { agentInput, runAgent } from '.';

/** Written once: streams on the agent path, one message on the bot path. */
@Responder({ name: 'greeter' })
class GreeterResponder {
  async *respond({ history }: ResponderContext): AsyncIterable<ResponderStreamPart> {
    yield 'Hello';
    yield { type: 'tool-call', toolCallId: 'c1', toolName: 'lookupName', args: {} };
    yield `, you said ${history?.length ?? 0} things before`;
  }
}

@Responder({ name: 'plain' })
class PlainResponder {
  respond() {
    return [textReply('one'), textReply('two')];
  }
}

describe('agent test kit', () => {
  it('runs one responder down either path', async () => {
    const bot = await runTurn(new GreeterResponder(), buildEvent({ text: 'hi' }));
    expect(bot.texts).toEqual(['Hello, you said 0 things before']);

    const agent = await runAgent(new GreeterResponder(), agentInput('hi', { earlier: ['hello', 'hi there'] }));
    expect(agent.texts).toEqual(['Hello', ', you said 2 things before']);
    expect(agent.types).toEqual([
      EventType.RUN_STARTED,
      EventType.TEXT_MESSAGE_START,
      EventType.TEXT_MESSAGE_CONTENT,
      EventType.TEXT_MESSAGE_END,
      EventType.TOOL_CALL_START,
      EventType.TOOL_CALL_ARGS,
      EventType.TOOL_CALL_END,
      EventType.TEXT_MESSAGE_START,
      EventType.TEXT_MESSAGE_CONTENT,
      EventType.TEXT_MESSAGE_END,
      EventType.RUN_FINISHED,
    ]);
    expect(agent.error).toBeUndefined();
  });

  it('shows the replies of a responder that does not stream as messages', async () => {
    expect((await runAgent(new PlainResponder(), 'hi')).texts).toEqual(['one', 'two']);
  });

  it('ends with RUN_ERROR when the responder throws, and gives the error', async () => {
    @Responder({ name: 'broken' })
    class BrokenResponder {
      respond(): never {
        throw new Error('kaput');
      }
    }
    const result = await runAgent(new BrokenResponder(), 'hi');
    expect(result.types).toEqual([EventType.RUN_STARTED, EventType.RUN_ERROR]);
    expect((result.error as Error).message).toBe('kaput');
  });

  it('stops a responder that ignores its signal as soon as the signal fires', async () => {
    @Responder({ name: 'deaf' })
    class DeafResponder {
      respond() {
        return new Promise<undefined>(() => undefined); // never settles
      }
    }
    const abort = new AbortController();
    // Its turn's timer still runs to the timeout: kept short so nothing is left running after the test.
    const running = runAgent(new DeafResponder(), 'hi', { signal: abort.signal, settings: { timeoutMs: 100 } });
    abort.abort(new Error('client gone'));
    const result = await running;
    expect(result.types).toEqual([EventType.RUN_STARTED, EventType.RUN_ERROR]);
    expect((result.error as Error).message).toBe('client gone');
  });
});

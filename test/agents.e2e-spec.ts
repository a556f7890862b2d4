import { HttpAgent } from '@ag-ui/client';
import { EventType, type BaseEvent, type Message } from '@ag-ui/core';
import { Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { RESPONDER_FAILED } from '../src/agents/ag-ui-events';
import { ConversationStateStore } from '../src/conversation-state/conversation-state.store';
import { WorkerRedis } from '../src/redis/worker-redis.service';
import { Responder, type ResponderContext, type ResponderStreamPart } from '../src/responders';
import { TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const TOKEN = 'agent-e2e-token-0123456789';

/** A gate a test opens: the responders below wait on it, so "before the end" is a moment the test controls. */
class Gate {
  private open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  release() {
    this.open();
  }
}

/** What the test responders saw, for assertions on the responder side of the endpoint. */
const seen: { history?: unknown; path?: string; sender?: unknown; abortedWith?: unknown; slowGate?: Gate } = {};

/** Streams three deltas, each after the event loop turned, as a model's tokens arrive. */
@Responder({ name: 'streaming', priority: 10, pattern: /^stream/ })
class StreamingResponder {
  async *respond(): AsyncIterable<ResponderStreamPart> {
    for (const delta of ['Hel', 'lo, ', 'world']) {
      await new Promise((resolve) => setImmediate(resolve));
      yield delta;
    }
  }
}

/** Says something, calls a tool, reads its result, and says the rest: an LLM with tools, in short. */
@Responder({ name: 'tools', priority: 10, pattern: /^order/ })
class ToolResponder {
  async *respond(): AsyncIterable<ResponderStreamPart> {
    yield 'Looking up the order';
    yield { type: 'tool-call', toolCallId: 'call-1', toolName: 'lookupOrder', args: { order: '5521' } };
    yield { type: 'tool-result', toolCallId: 'call-1', toolName: 'lookupOrder', result: { status: 'shipped' } };
    yield { type: 'text', text: 'It has shipped.' };
  }
}

@Responder({ name: 'failing', priority: 10, pattern: /^fail/ })
class FailingResponder {
  async *respond(): AsyncIterable<ResponderStreamPart> {
    yield 'Starting';
    throw new Error('database password=hunter2 rejected');
  }
}

/** Never answers by itself: it ends when its signal fires, and records why. */
@Responder({ name: 'hanging', priority: 10, pattern: /^hang/ })
class HangingResponder {
  respond({ signal }: ResponderContext): Promise<undefined> {
    return new Promise((resolve) =>
      signal.addEventListener('abort', () => {
        seen.abortedWith = signal.reason ?? 'aborted';
        resolve(undefined);
      }),
    );
  }
}

/** Answers once the test opens its gate. */
@Responder({ name: 'slow', priority: 10, pattern: /^slow/ })
class SlowResponder {
  async respond() {
    await seen.slowGate!.opened;
    return { category: 'message' as const, type: 'text', data: { text: 'finally' } };
  }
}

@Responder({ name: 'history', priority: 10, pattern: /^history/ })
class HistoryResponder {
  respond({ history, path, event }: ResponderContext) {
    seen.history = history;
    seen.path = path;
    seen.sender = event.sender;
    return { category: 'message' as const, type: 'text', data: { text: `I know ${history?.length ?? 0} earlier messages` } };
  }
}

/** Counts the thread's turns in ctx.state: the agent path keeps state per thread, as the bot path per conversation. */
@Responder({ name: 'counter', priority: 10, pattern: /^count/ })
class CounterResponder {
  async respond({ state }: ResponderContext) {
    const count = ((await state.get<number>('count')) ?? 0) + 1;
    await state.set('count', count);
    return { category: 'message' as const, type: 'text', data: { text: `turn ${count}` } };
  }
}

/** Not a text reply: the agent path shows it as a line of text. */
@Responder({ name: 'picture', priority: 10, pattern: /^picture/ })
class PictureResponder {
  respond() {
    return { category: 'message' as const, type: 'image', data: { attachments: [{ url: 'https://example.test/cat.png', name: 'cat.png' }] } };
  }
}

@Module({
  providers: [
    StreamingResponder,
    ToolResponder,
    FailingResponder,
    HangingResponder,
    SlowResponder,
    HistoryResponder,
    CounterResponder,
    PictureResponder,
  ],
})
class AgentTestRespondersModule {}

const user = (content: string): Message => ({ id: randomUUID(), role: 'user', content });

describe('AI Agent (AG-UI) endpoint', () => {
  let app: TestApp;
  let url: string;

  /** The real client, as CometChat's side of an agent would be; every event it accepted, in order. */
  const agentFor = (messages: Message[], { token = TOKEN, threadId = randomUUID() }: { token?: string; threadId?: string } = {}) =>
    new HttpAgent({ url: `${url}/agents/ag-ui`, headers: { Authorization: `Bearer ${token}` }, threadId, initialMessages: messages });

  async function run(agent: HttpAgent, runId = randomUUID()) {
    const events: BaseEvent[] = [];
    let failure: unknown;
    try {
      await agent.runAgent({ runId, forwardedProps: { user: { uid: 'alice', name: 'Alice' } } }, { onEvent: ({ event }) => void events.push(event) });
    } catch (error) {
      failure = error;
    }
    return { events, types: events.map((event) => event.type), failure, runId };
  }
  const say = (text: string) => run(agentFor([user(text)]));

  beforeAll(async () => {
    app = await TestApp.start('agents', { AGENT_TOKEN: TOKEN, AGENT_HEARTBEAT_MS: '50', APP_ROLE: 'api' }, [AgentTestRespondersModule]);
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    url = await app.app.getUrl();
  });
  afterAll(() => app?.close());

  it('answers with the echo responder as one text message between RUN_STARTED and RUN_FINISHED', async () => {
    const agent = agentFor([user('hello agent')]);
    const { events, types, failure, runId } = await run(agent);
    expect(failure).toBeUndefined();
    expect(types).toEqual([
      EventType.RUN_STARTED,
      EventType.TEXT_MESSAGE_START,
      EventType.TEXT_MESSAGE_CONTENT,
      EventType.TEXT_MESSAGE_END,
      EventType.RUN_FINISHED,
    ]);
    expect(events[0]).toMatchObject({ threadId: agent.threadId, runId });
    expect(events[1]).toMatchObject({ role: 'assistant' });
    expect(events[2]).toMatchObject({ messageId: (events[1] as any).messageId, delta: 'hello agent' });
    expect(events[4]).toMatchObject({ threadId: agent.threadId, runId });
    // The client built the assistant's message from the stream.
    expect(agent.messages.at(-1)).toMatchObject({ role: 'assistant', content: 'hello agent' });
  });

  it("streams a responder's deltas as separate TEXT_MESSAGE_CONTENT events, in order, in one message", async () => {
    const { events, types } = await say('stream please');
    const contents = events.filter((event) => event.type === EventType.TEXT_MESSAGE_CONTENT) as any[];
    expect(contents.map((event) => event.delta)).toEqual(['Hel', 'lo, ', 'world']);
    expect(new Set(contents.map((event) => event.messageId)).size).toBe(1);
    expect(types.filter((type) => type === EventType.TEXT_MESSAGE_START)).toHaveLength(1);
    expect(types.at(-1)).toBe(EventType.RUN_FINISHED);
  });

  it('turns tool-call parts into TOOL_CALL_START/ARGS/END under the message before them, and results into TOOL_CALL_RESULT', async () => {
    const agent = agentFor([user('order 5521')]);
    const { events, types } = await run(agent);
    expect(types).toEqual([
      EventType.RUN_STARTED,
      EventType.TEXT_MESSAGE_START,
      EventType.TEXT_MESSAGE_CONTENT,
      EventType.TEXT_MESSAGE_END,
      EventType.TOOL_CALL_START,
      EventType.TOOL_CALL_ARGS,
      EventType.TOOL_CALL_END,
      EventType.TOOL_CALL_RESULT,
      EventType.TEXT_MESSAGE_START,
      EventType.TEXT_MESSAGE_CONTENT,
      EventType.TEXT_MESSAGE_END,
      EventType.RUN_FINISHED,
    ]);
    const firstMessage = (events[1] as any).messageId;
    expect(events[4]).toMatchObject({ toolCallId: 'call-1', toolCallName: 'lookupOrder', parentMessageId: firstMessage });
    expect(JSON.parse((events[5] as any).delta)).toEqual({ order: '5521' });
    expect(events[7]).toMatchObject({ toolCallId: 'call-1', role: 'tool' });
    expect(JSON.parse((events[7] as any).content)).toEqual({ status: 'shipped' });
    expect((events[8] as any).messageId).not.toBe(firstMessage);
    expect(agent.messages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          role: 'assistant',
          content: 'Looking up the order',
          toolCalls: [expect.objectContaining({ id: 'call-1', function: { name: 'lookupOrder', arguments: '{"order":"5521"}' } })],
        }),
        expect.objectContaining({ role: 'assistant', content: 'It has shipped.' }),
      ]),
    );
  });

  it('ends a failed turn with RUN_ERROR, after the text already streamed, without the error’s internals, and closes the stream', async () => {
    const { events, types } = await say('fail now');
    expect(types).toEqual([EventType.RUN_STARTED, EventType.TEXT_MESSAGE_START, EventType.TEXT_MESSAGE_CONTENT, EventType.RUN_ERROR]);
    expect(events.at(-1)).toMatchObject({ message: RESPONDER_FAILED, code: 'RESPONDER_ERROR' });
    expect(JSON.stringify(events)).not.toContain('hunter2');
  });

  it('shows a reply that is not text as a line of text', async () => {
    const { events } = await say('picture of a cat');
    expect(events.find((event) => event.type === EventType.TEXT_MESSAGE_CONTENT)).toMatchObject({
      delta: 'image: cat.png https://example.test/cat.png',
    });
  });

  it("hands the thread's earlier user and assistant messages to the responder as ctx.history, on the agent path", async () => {
    const thread: Message[] = [
      { id: randomUUID(), role: 'system', content: 'You are helpful.' },
      user('my order is 5521'),
      { id: randomUUID(), role: 'assistant', content: 'Thanks, noted.' },
      user('history please'),
    ];
    const { events } = await run(agentFor(thread));
    expect(seen.path).toBe('agent');
    expect(seen.history).toEqual([
      { role: 'user', text: 'my order is 5521' },
      { role: 'assistant', text: 'Thanks, noted.' },
    ]);
    expect(seen.sender).toEqual({ uid: 'alice', name: 'Alice' });
    expect(events.find((event) => event.type === EventType.TEXT_MESSAGE_CONTENT)).toMatchObject({ delta: 'I know 2 earlier messages' });
  });

  it('keeps ctx.state per thread, across runs', async () => {
    const threadId = randomUUID();
    const textOf = async (threadId: string) =>
      ((await run(agentFor([user('count')], { threadId }))).events.find((e) => e.type === EventType.TEXT_MESSAGE_CONTENT) as any).delta;
    expect(await textOf(threadId)).toBe('turn 1');
    expect(await textOf(threadId)).toBe('turn 2');
    expect(await textOf(randomUUID())).toBe('turn 1');
  });

  it("keeps that state at <prefix>:state:<conversation>, on the store's own connection: the api role opens no workers' one", async () => {
    const threadId = randomUUID();
    await run(agentFor([user('count')], { threadId }));
    expect(await app.redis().hget(`${app.prefix}:state:user-ag-ui:${threadId}`, 'count')).toBe('1');
    // Asked of the app's container (a miss asked of the app itself is also logged as an error).
    const container = app.app.get(ModuleRef);
    expect(container.get(ConversationStateStore, { strict: false })).toBeInstanceOf(ConversationStateStore);
    expect(() => container.get(WorkerRedis, { strict: false })).toThrow(/WorkerRedis/);
  });

  it("aborts the responder's ctx.signal when the client goes away", async () => {
    seen.abortedWith = undefined;
    const agent = agentFor([user('hang on')]);
    const started = new Gate();
    const running = agent.runAgent({}, { onRunStartedEvent: () => started.release() }).catch(() => undefined);
    await started.opened;
    agent.abortRun();
    await waitFor('the responder to see its signal abort', () => seen.abortedWith);
    expect(String((seen.abortedWith as Error).message)).toContain('client closed');
    await running;
  });

  it('sends a heartbeat comment while a responder is slow, on a text/event-stream answer', async () => {
    seen.slowGate = new Gate();
    const body = JSON.stringify({ threadId: randomUUID(), runId: randomUUID(), messages: [user('slow one')] });
    let text = '';
    const answer = await new Promise<{ status?: number; type?: string; done: Promise<void> }>((resolve, reject) => {
      const request = httpRequest(
        `${url}/agents/ag-ui`,
        { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'text/event-stream' } },
        (response) => {
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          const done = new Promise<void>((end) => response.on('end', end));
          resolve({ status: response.statusCode, type: response.headers['content-type'], done });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^text\/event-stream/);
    await waitFor('a heartbeat comment', () => text.includes('\n: ping\n\n') || text.startsWith(': ping\n\n'));
    expect(text).not.toContain('TEXT_MESSAGE_START');
    seen.slowGate.release();
    await answer.done;
    expect(text).toContain('"delta":"finally"');
    expect(text.trim().split('\n\n').at(-1)).toContain('RUN_FINISHED');
  });

  describe('refuses', () => {
    const post = (payload: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
      app.app.inject({
        method: 'POST',
        url: '/agents/ag-ui',
        headers: { 'content-type': 'application/json', ...headers },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
    const valid = () => ({ threadId: 't-1', runId: 'r-1', messages: [user('hi')] });

    it('a missing or wrong token with 401 and a Bearer challenge, through the real client too', async () => {
      const wrong: Array<Record<string, string>> = [
        {},
        { authorization: `Bearer ${TOKEN}x` },
        { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
        { authorization: `Basic ${TOKEN}` },
      ];
      for (const headers of wrong) {
        const res = await post(valid(), headers);
        expect(res.statusCode).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="cometchat-bot-agent"');
        expect(res.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Missing or invalid Bearer token' });
      }
      jest.spyOn(console, 'error').mockImplementation(() => undefined); // the client reports the failed run there too
      const { failure, events } = await run(agentFor([user('hi')], { token: 'not-the-token-at-all' }));
      jest.restoreAllMocks();
      expect(failure).toMatchObject({ status: 401 });
      expect(events).toEqual([]);
    });

    it('a body that is not a RunAgentInput with 400 naming each bad field', async () => {
      const res = await post({ runId: 5, messages: [{ id: 'm-1', role: 'bogus', content: 'x' }] });
      expect(res.statusCode).toBe(400);
      const { message, error } = res.json();
      expect(error).toBe('Bad Request');
      expect(message).toContain('threadId: ');
      expect(message).toContain('runId: ');
      expect(message).toContain('messages.0.role: ');
      expect((await post('[]')).json().message).toContain('body: ');
    });

    it('a thread without a user message to answer with 422', async () => {
      const res = await post({ ...valid(), messages: [{ id: 'a-1', role: 'assistant', content: 'hello' }] });
      expect(res.statusCode).toBe(422);
      expect(res.json().message).toContain('no user message');
    });

    it('a body over the limit with 413, and one that is not JSON with 415', async () => {
      const big = { ...valid(), messages: [user('x'.repeat(1024 * 1024 + 10))] };
      expect((await post(big)).statusCode).toBe(413);
      expect((await post('hi', { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' })).statusCode).toBe(415);
    });
  });
});

describe('AI Agent (AG-UI) endpoint on shutdown', () => {
  it('ends a run in flight with RUN_ERROR (SERVICE_STOPPING) and lets the server close', async () => {
    const app = await TestApp.start('agents-stop', { AGENT_TOKEN: TOKEN, APP_ROLE: 'api' }, [AgentTestRespondersModule]);
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    const agent = new HttpAgent({
      url: `${await app.app.getUrl()}/agents/ag-ui`,
      headers: { Authorization: `Bearer ${TOKEN}` },
      initialMessages: [user('hang on')],
    });
    const events: BaseEvent[] = [];
    const started = new Gate();
    const running = agent
      .runAgent({}, { onEvent: ({ event }) => void events.push(event), onRunStartedEvent: () => started.release() })
      .catch(() => undefined);
    await started.opened;
    await app.close();
    await running;
    expect(events.map((event) => event.type)).toEqual([EventType.RUN_STARTED, EventType.RUN_ERROR]);
    expect(events[1]).toMatchObject({ code: 'SERVICE_STOPPING', message: 'the service is shutting down' });
  });
});

describe('AI Agent (AG-UI) endpoint without AGENT_TOKEN', () => {
  it('does not exist: 404', async () => {
    const app = await TestApp.start('agents-off', { APP_ROLE: 'api' });
    try {
      const res = await app.app.inject({
        method: 'POST',
        url: '/agents/ag-ui',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        payload: JSON.stringify({ threadId: 't', runId: 'r', messages: [user('hi')] }),
      });
      expect(res.statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });
});

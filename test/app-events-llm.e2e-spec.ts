import { FakeCometChat } from './support/fake-cometchat';
import { contentOf, FakeModelServer, lastUserText } from './support/fake-openai';
import { directText, messageEdited, reaction } from './support/fixtures';
import { BOT_UID, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** The LLM responder and the app webhooks: it sees an edit (and answers it again), and the feedback on its answers. */
describe('app webhooks and the LLM responder', () => {
  let cometchat: FakeCometChat;
  let model: FakeModelServer;
  let app: TestApp;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    model = await new FakeModelServer().start();
    model.answer = (body) => ({ text: `model answer to ${lastUserText(body)}` });
    app = await TestApp.start('app-events-llm', {
      COMETCHAT_API_URL: cometchat.url,
      LLM_MODEL: 'fake-model',
      LLM_BASE_URL: model.url,
      LLM_API_KEY: 'model-key',
    });
  });
  afterAll(async () => {
    await app?.close();
    await model.stop();
    await cometchat.stop();
  });

  const promptOf = (request: { body: any }): string[] =>
    request.body.messages.filter((m: any) => m.role !== 'system').map((m: any) => `${m.role}: ${contentOf(m)}`);

  it('answers an edited question again with the edit in place of the question in its memory', async () => {
    const question = directText('what is two plus two', 'llm-edit-ana');
    await app.post(question);
    await waitFor('the first answer', () => cometchat.messages.some((m) => m.data?.text === 'model answer to what is two plus two'));
    await app.drained();
    expect((await app.postEvent(messageEdited(question, 'what is three plus three'))).json()).toMatchObject({ status: 'accepted' });
    await waitFor('the answer to the edit', () => cometchat.messages.some((m) => m.data?.text === 'model answer to what is three plus three'));
    await app.drained();
    // The model saw the edited question alone: the exchange it replaces is not in its memory.
    expect(promptOf(model.requests[model.requests.length - 1])).toEqual(['user: what is three plus three']);

    await app.post(directText('and four plus four', 'llm-edit-ana'));
    await waitFor('the third answer', () => cometchat.messages.some((m) => m.data?.text === 'model answer to and four plus four'));
    expect(promptOf(model.requests[model.requests.length - 1])).toEqual([
      'user: what is three plus three',
      'assistant: model answer to what is three plus three',
      'user: and four plus four',
    ]);
  });

  it('shows the model the 👍/👎 on its earlier answers, and forgets one taken back', async () => {
    await app.post(directText('recommend a book', 'llm-rate-ana'));
    const answer = await waitFor('the answer', () => cometchat.messages.find((m) => m.data?.text === 'model answer to recommend a book'));
    await app.drained();
    const calls = model.requests.length;
    expect((await app.postEvent(reaction(true, answer.id, '👎', 'llm-rate-ana'))).json()).toMatchObject({ status: 'accepted' });
    await app.drained();
    expect(model.requests).toHaveLength(calls); // a reaction costs no model call, and says nothing
    await waitFor(
      '👎 counted',
      async () => (await app.scrape()).count('cometchat_bot_feedback_total', { bot: BOT_UID, responder: 'llm', reaction: 'down' }) === 1,
    );

    await app.post(directText('another one please', 'llm-rate-ana'));
    await waitFor('the next answer', () => cometchat.messages.some((m) => m.data?.text === 'model answer to another one please'));
    await app.drained();
    expect(promptOf(model.requests[model.requests.length - 1])).toEqual([
      'user: recommend a book',
      'assistant: model answer to recommend a book',
      'user: (Feedback on the answer above: 👎, not helpful.)',
      'user: another one please',
    ]);

    expect((await app.postEvent(reaction(false, answer.id, '👎', 'llm-rate-ana'))).json()).toMatchObject({ status: 'accepted' });
    await app.drained();
    await app.post(directText('a third one', 'llm-rate-ana'));
    await waitFor('the third answer', () => cometchat.messages.some((m) => m.data?.text === 'model answer to a third one'));
    expect(promptOf(model.requests[model.requests.length - 1]).filter((line) => line.includes('Feedback'))).toEqual([]);
    expect(cometchat.posts.filter((c) => c.body.receiver === 'llm-rate-ana')).toHaveLength(3);
  });
});

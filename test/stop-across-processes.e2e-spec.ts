import { FakeCometChat } from './support/fake-cometchat';
import { FakeModelServer, lastUserText } from './support/fake-openai';
import { directText } from './support/fixtures';
import { freePort, ServiceProcess } from './support/service-process';
import { basicAuth, deleteKeys, testEnv } from './support/test-app';
import { waitFor } from './support/wait-for';

const SENTENCES = Array.from({ length: 30 }, (_, n) => `Part ${n + 1} of a long answer.`);

const direct = directText;

/**
 * `/stop` from any process: the turn runs in a worker process, the `/stop` reaches another process's webhook, and the
 * running turn ends within a second, its answer edited once to end with "(stopped)".
 */
describe('/stop across processes (APP_ROLE=api takes the /stop, APP_ROLE=worker runs the turn)', () => {
  let cometchat: FakeCometChat;
  let model: FakeModelServer;
  const started: ServiceProcess[] = [];
  let prefix: string;

  beforeAll(async () => {
    cometchat = await new FakeCometChat().start();
    model = await new FakeModelServer().start();
    model.answer = (body) =>
      lastUserText(body).startsWith('slow')
        ? { text: SENTENCES.join(' '), pieces: SENTENCES.map((s, n) => (n === 0 ? s : ` ${s}`)), pieceDelayMs: 500 }
        : { text: `quick answer to ${lastUserText(body)}` };
  });
  afterAll(async () => {
    for (const service of started) {
      service.kill('SIGKILL');
      await service.exited();
    }
    if (prefix) await deleteKeys(prefix);
    await model.stop();
    await cometchat.stop();
  });

  async function start(env: Record<string, string>, role: 'api' | 'worker') {
    const service = ServiceProcess.spawn({ ...env, APP_ROLE: role, PORT: String(await freePort()) });
    started.push(service);
    await service.ready();
    return service;
  }

  const post = (service: ServiceProcess, body: unknown) =>
    fetch(`${service.url}/webhooks/cometchat`, {
      method: 'POST',
      headers: { authorization: basicAuth(), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('stops the turn another process runs within 1 s, and the next message is answered', async () => {
    const env: Record<string, string> = {
      ...testEnv('stop-processes'),
      COMETCHAT_API_URL: cometchat.url,
      LLM_MODEL: 'fake-model',
      LLM_BASE_URL: model.url,
      LLM_API_KEY: 'model-key',
      LOG_LEVEL: 'info',
    };
    prefix = env.QUEUE_PREFIX;
    const api = await start(env, 'api');
    const worker = await start(env, 'worker');

    expect((await post(api, direct('slow: tell me a long story', 'stop-ana'))).status).toBe(200);
    const message = await waitFor('the progress post', () => cometchat.messages.find((m) => m.receiver === 'stop-ana'), { timeoutMs: 30_000 });
    const [request] = model.about('slow: tell me a long story');

    const stopAt = Date.now();
    expect(await (await post(api, direct('/stop', 'stop-ana'))).json()).toMatchObject({ status: 'accepted' });
    await waitFor('the model call aborted', () => request.abandoned, { intervalMs: 5 });
    expect(request.abandonedAt! - stopAt).toBeLessThanOrEqual(1000);
    await waitFor('the answer stopped', () => /\(stopped\)$/.test(cometchat.message(message.id)?.data?.text ?? ''));

    expect((await post(api, direct('are you there?', 'stop-ana'))).status).toBe(200);
    await waitFor('the next message answered', () =>
      cometchat.messages.some((m) => m.receiver === 'stop-ana' && m.data?.text === 'quick answer to are you there?'),
    );
    // One answer stopped, one answered: nothing for the /stop itself, and the stopped answer was edited once with the mark.
    const mine = cometchat.messages.filter((m) => m.receiver === 'stop-ana');
    expect(mine).toHaveLength(2);
    expect(mine[0].texts!.filter((t) => t?.endsWith('(stopped)'))).toHaveLength(1);
    expect(worker.output).toMatch(/"outcome":"stopped"/);
    expect(worker.running && api.running).toBe(true);
  }, 90_000);
});

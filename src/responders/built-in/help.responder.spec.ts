import type { ResponderRegistry } from '../responder.registry';
import { buildEvent, runTurn } from '../testing';
import { HelpResponder } from './help.responder';

const registry = {
  commands: () => [
    { command: 'order', description: 'Order status: /order <order number>', responder: 'order-status' },
    { command: 'help', description: 'List what I can do', responder: 'help' },
    { command: 'faq', description: 'Common questions', responder: 'faq' },
  ],
} as unknown as ResponderRegistry;

describe('HelpResponder', () => {
  const help = new HelpResponder(registry);

  it('lists every command, sorted, one per line as "/name — description"', async () => {
    const { texts } = await runTurn(help, buildEvent({ text: '/help' }));
    expect(texts).toHaveLength(1);
    const lines = texts[0].split('\n');
    expect(lines.slice(1)).toEqual(['/faq — Common questions', '/help — List what I can do', '/order — Order status: /order <order number>']);
  });

  it.each([['/help'], ['/HELP'], ['/help order'], ['  /help  ']])('takes %j', async (text) => {
    expect((await runTurn(help, buildEvent({ text }))).responder).toBe('help');
  });

  it('takes /help in a group when the bot is mentioned', async () => {
    expect((await runTurn(help, buildEvent({ text: '/help', group: 'ops-room', mention: true }))).responder).toBe('help');
  });

  it.each([['/helpme'], ['help'], ['I need /help'], ['/commands']])('does not take %j', async (text) => {
    expect(await runTurn(help, buildEvent({ text }))).toMatchObject({ responder: undefined, replies: [] });
  });
});

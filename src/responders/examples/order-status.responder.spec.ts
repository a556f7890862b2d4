import { buildEvent, runTurn } from '../testing';
import { TurnFailedError } from '../turn-failed.error';
import { DemoOrderLookup, OrderLookup, OrderStatus } from './order-lookup.service';
import { OrderStatusResponder } from './order-status.responder';

describe('OrderStatusResponder', () => {
  const responder = new OrderStatusResponder(new DemoOrderLookup());

  it('answers /order <id> with the status and its detail, and metadata for clients', async () => {
    const { responder: taken, replies, texts } = await runTurn(responder, buildEvent({ text: '/order 5521' }));
    expect(taken).toBe('order-status');
    expect(texts).toEqual(['Order #5521 is shipped: arrives Thursday.']);
    expect(replies[0].data.metadata).toEqual({ orderId: '5521', status: 'shipped' });
  });

  it('answers an order without detail', async () => {
    expect((await runTurn(responder, buildEvent({ text: '/order 5522' }))).texts).toEqual(['Order #5522 is processing.']);
  });

  it('accepts the number written with #', async () => {
    const orders: OrderLookup = { find: jest.fn(async (id: string): Promise<OrderStatus> => ({ id, status: 'delivered' })) };
    const { texts } = await runTurn(new OrderStatusResponder(orders), buildEvent({ text: '/order #5521' }));
    expect(orders.find).toHaveBeenCalledWith('5521');
    expect(texts).toEqual(['Order #5521 is delivered.']);
  });

  it("says it can't find an unknown order, and does not remember it", async () => {
    const { texts, state } = await runTurn(responder, buildEvent({ text: '/order 9999' }));
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(/can't find order #9999/);
    expect(state.snapshot()).toEqual({});
  });

  it('asks which order when none is given and none was asked before', async () => {
    const { texts } = await runTurn(responder, buildEvent({ text: '/order' }));
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(/Which order\?/);
  });

  it('remembers the last order of the conversation for a later bare /order', async () => {
    const first = await runTurn(responder, buildEvent({ text: '/order 5521' }));
    expect(await first.state.get('lastOrderId')).toBe('5521');
    const second = await runTurn(responder, buildEvent({ text: '/order' }), { state: first.state });
    expect(second.texts).toEqual(['Order #5521 is shipped: arrives Thursday.']);
  });

  it('mentions the sender in a group', async () => {
    const event = buildEvent({ text: '/order 5521', group: 'ops-room', sender: 'cometchat-uid-2', mention: true });
    expect((await runTurn(responder, event)).texts).toEqual(['<@uid:cometchat-uid-2> Order #5521 is shipped: arrives Thursday.']);
  });

  it('does not mention the sender one-to-one', async () => {
    const [text] = (await runTurn(responder, buildEvent({ text: '/order 5521', sender: 'cometchat-uid-2' }))).texts;
    expect(text).not.toContain('<@uid:');
  });

  it.each([['55$21'], ['x'.repeat(41)], ['../5521']])('fails the turn for good on a malformed number (%s)', async (id) => {
    const orders: OrderLookup = { find: jest.fn() };
    await expect(runTurn(new OrderStatusResponder(orders), buildEvent({ text: `/order ${id}` }))).rejects.toBeInstanceOf(TurnFailedError);
    expect(orders.find).not.toHaveBeenCalled();
  });

  it('lets a lookup failure through as a retryable error', async () => {
    const down = new Error('order system unreachable');
    const orders: OrderLookup = { find: () => Promise.reject(down) };
    const failure = await runTurn(new OrderStatusResponder(orders), buildEvent({ text: '/order 5521' })).catch((e: unknown) => e);
    expect(failure).toBe(down);
    expect(failure).not.toBeInstanceOf(TurnFailedError);
  });

  it.each([['order 5521'], ['my order 5521?'], ['/orders 5521']])('does not take %j', async (text) => {
    expect(await runTurn(responder, buildEvent({ text }))).toMatchObject({ responder: undefined, replies: [] });
  });
});

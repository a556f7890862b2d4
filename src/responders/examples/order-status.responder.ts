import { Inject } from '@nestjs/common';
import type { BotResponder, ResponderContext } from '../bot-responder.interface';
import { mention, textReply } from '../reply.builders';
import { Responder } from '../responder.decorator';
import { TurnFailedError } from '../turn-failed.error';
import { ORDER_LOOKUP, OrderLookup } from './order-lookup.service';

/**
 * A command responder: `/order 5521` answers the order's status from an injected lookup service. `/order`
 * alone reuses the last order asked about in this conversation (conversation state).
 */
@Responder({ name: 'order-status', commands: { order: 'Order status: /order <order number>' } })
export class OrderStatusResponder implements BotResponder {
  constructor(@Inject(ORDER_LOOKUP) private readonly orders: OrderLookup) {}

  async respond({ event, command, state }: ResponderContext) {
    const asked = command!.args[0]?.replace(/^#/, '');
    const orderId = asked ?? (await state.get<string>('lastOrderId'));
    if (!orderId) return textReply('Which order? Try /order 5521');
    if (!/^[\w-]{1,40}$/.test(orderId)) throw new TurnFailedError(`not an order number: ${orderId}`);

    const order = await this.orders.find(orderId);
    if (!order) return textReply(`I can't find order #${orderId}. Check the number on your receipt?`);
    await state.set('lastOrderId', order.id);
    const who = event.conversation.type === 'group' ? `${mention(event.sender.uid)} ` : '';
    return textReply(`${who}Order #${order.id} is ${order.status}${order.detail ? `: ${order.detail}` : ''}.`, {
      metadata: { orderId: order.id, status: order.status },
    });
  }
}

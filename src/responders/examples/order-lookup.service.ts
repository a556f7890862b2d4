import { Injectable } from '@nestjs/common';

export interface OrderStatus {
  id: string;
  status: 'processing' | 'shipped' | 'delivered' | 'cancelled';
  /** A human line such as "arrives Thursday". */
  detail?: string;
}

/** Where orders are looked up: bind your own implementation (HTTP client, database) to this token. */
export const ORDER_LOOKUP = Symbol('ORDER_LOOKUP');

export interface OrderLookup {
  find(orderId: string): Promise<OrderStatus | undefined>;
}

/** A stand-in with a few fixed orders, so the example answers before you connect a real system. */
@Injectable()
export class DemoOrderLookup implements OrderLookup {
  private readonly orders = new Map<string, OrderStatus>([
    ['5521', { id: '5521', status: 'shipped', detail: 'arrives Thursday' }],
    ['5522', { id: '5522', status: 'processing' }],
    ['5523', { id: '5523', status: 'delivered', detail: 'left with the concierge' }],
  ]);

  async find(orderId: string): Promise<OrderStatus | undefined> {
    return this.orders.get(orderId);
  }
}

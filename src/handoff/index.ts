// Handing a conversation to people: the gate the worker asks, and the providers it lists (src/queue/processing.module.ts).
export { Handoffs } from './handoffs.service';
export { handoffProviders } from './handoff.providers';

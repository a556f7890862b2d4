export { buildEvent, callbackFrom, LIVE_DEFAULTS, routerFor, runTurn, TEST_BOT_UID } from './responder-test-kit';
export type { EventFields, TurnResult } from './responder-test-kit';
export { InMemoryConversationState } from '../conversation-state';

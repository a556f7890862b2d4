export { agentInput, runAgent } from './agent-test-kit';
export type { AgentRunResult } from './agent-test-kit';

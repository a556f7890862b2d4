// What a team needs to give the LLM responder a tool (see docs/ai-and-agents.md "Tools").
export { LlmTool } from './llm-tool.decorator';
export type { LlmToolOptions, LlmToolProvider, LlmToolContext } from './llm-tool.decorator';

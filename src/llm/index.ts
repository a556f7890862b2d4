// What a team needs to give the LLM responder a tool (see README "An AI bot in five minutes").
export { LlmTool } from './llm-tool.decorator';
export type { LlmToolOptions, LlmToolProvider, LlmToolContext } from './llm-tool.decorator';

/** The chat model the LLM responder calls (an AI SDK LanguageModel), built once from LLM_* by LlmModule. */
export const LLM_LANGUAGE_MODEL = Symbol('LLM_LANGUAGE_MODEL');
/** Makes the chat model of a model name on LLM_BASE_URL (a bot's own `llm.model` in BOTS_FILE): `(name) => LanguageModel`. */
export const LLM_MODEL_NAMED = Symbol('LLM_MODEL_NAMED');
/** The system prompt: LLM_SYSTEM_PROMPT, the file LLM_SYSTEM_PROMPT_FILE names, or DEFAULT_SYSTEM_PROMPT. */
export const LLM_INSTRUCTIONS = Symbol('LLM_INSTRUCTIONS');

export const DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant answering in a chat app. Keep answers short and plain: no tables, no headings.';
/** Added in group chats, where user lines carry the sender's name. */
export const GROUP_CHAT_NOTE = "This is a group chat: each user message starts with the sender's name and a colon.";

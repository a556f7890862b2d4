import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemPrompt } from './llm.module';
import { DEFAULT_SYSTEM_PROMPT } from './llm.tokens';

describe('systemPrompt', () => {
  it('is LLM_SYSTEM_PROMPT, else the file LLM_SYSTEM_PROMPT_FILE names, else the default', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'llm-prompt-')), 'prompt.txt');
    writeFileSync(file, 'You answer for Acme support.\n');
    expect(systemPrompt({ systemPrompt: 'Be kind.', systemPromptFile: undefined })).toBe('Be kind.');
    expect(systemPrompt({ systemPrompt: undefined, systemPromptFile: file })).toBe('You answer for Acme support.');
    expect(systemPrompt({ systemPrompt: undefined, systemPromptFile: undefined })).toBe(DEFAULT_SYSTEM_PROMPT);
  });

  it('stops the start with the file name when the file cannot be read', () => {
    expect(() => systemPrompt({ systemPrompt: undefined, systemPromptFile: '/nonexistent/prompt.txt' })).toThrow(
      /^LLM_SYSTEM_PROMPT_FILE \/nonexistent\/prompt.txt cannot be read/,
    );
  });
});

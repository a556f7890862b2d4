import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import { buildEvent } from '../responders/testing';
import { LlmTool, LlmToolContext, LlmToolProvider } from './llm-tool.decorator';
import { LlmToolRegistry } from './llm-tool.registry';

@LlmTool({ name: 'lookup_order', description: 'Finds an order', inputSchema: z.object({ id: z.string() }) })
class LookupOrder implements LlmToolProvider<{ id: string }> {
  execute({ id }: { id: string }, ctx: LlmToolContext) {
    return { id, status: 'shipped', askedBy: ctx.event.sender.uid };
  }
}

@LlmTool({ name: 'lookup_order', description: 'Another with the same name', inputSchema: z.object({}) })
class SameName implements LlmToolProvider {
  execute() {
    return 'x';
  }
}

@LlmTool({ name: 'has spaces', description: 'A name OpenAI refuses', inputSchema: z.object({}) })
class BadName implements LlmToolProvider {
  execute() {
    return 'x';
  }
}

// The tools sit in a team's module, apart from the registry's: discovery finds them across modules.
const teamModule = (...tools: Array<new () => LlmToolProvider>) => {
  @Module({ providers: tools })
  class TeamModule {}
  return TeamModule;
};

const start = async (...tools: Array<new () => LlmToolProvider>) => {
  const moduleRef = await Test.createTestingModule({ imports: [DiscoveryModule, teamModule(...tools)], providers: [LlmToolRegistry] }).compile();
  await moduleRef.init();
  return moduleRef;
};

describe('LlmToolRegistry', () => {
  it('finds every @LlmTool() provider in the app and offers it to the model, bound to the message', async () => {
    const moduleRef = await start(LookupOrder);
    const registry = moduleRef.get(LlmToolRegistry);
    expect(registry.tools.map((t) => t.options.name)).toEqual(['lookup_order']);

    const tools = registry.toolSet(buildEvent({ text: 'where is 5521', sender: 'ana' }), new AbortController().signal);
    expect(tools.lookup_order.description).toBe('Finds an order');
    const result = await tools.lookup_order.execute!({ id: '5521' }, { toolCallId: 'call-1', messages: [] } as never);
    expect(result).toEqual({ id: '5521', status: 'shipped', askedBy: 'ana' });
    await moduleRef.close();
  });

  it('fails at startup on two tools with one name', async () => {
    await expect(start(LookupOrder, SameName)).rejects.toThrow('Two LLM tools are named "lookup_order"');
  });

  it('fails at startup on a name the model API would refuse', async () => {
    await expect(start(BadName)).rejects.toThrow('LLM tool name "has spaces"');
  });
});

import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { createApp } from '../../src/app.setup';
import { validateEnv } from '../../src/config/env.validation';
import { BotResponder, Responder, ResponderContext, textReply } from '../../src/responders';

/**
 * The service with one coalescing responder, in a process of its own, for tests that kill it mid-turn
 * (test/coalescing.e2e-spec.ts). Each turn prints its batch (`turn: [...]`); with HANG_TURNS=1 it never ends.
 */
@Responder({ name: 'burst', coalesce: true, chat: 'user' })
class BurstResponder implements BotResponder {
  async respond({ batch }: ResponderContext) {
    const texts = batch.map((event) => event.text ?? '');
    process.stdout.write(`turn: ${JSON.stringify(texts)}\n`);
    if (process.env.HANG_TURNS === '1') await new Promise(() => undefined);
    return textReply(texts.join(' + '));
  }
}

@Module({ providers: [BurstResponder] })
class BurstModule {}

async function main(): Promise<void> {
  const env = validateEnv(process.env);
  const app = await createApp(env, [BurstModule]);
  await app.listen({ port: env.PORT, host: env.HOST });
  process.stdout.write(`listening on ${env.HOST}:${env.PORT}\n`);
}

main().catch((error) => {
  process.stderr.write(`coalescing service failed to start: ${error}\n`);
  process.exit(1);
});

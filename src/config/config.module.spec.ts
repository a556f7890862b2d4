import { Test } from '@nestjs/testing';
import { AppConfig, appConfig, CONFIG_NAMESPACES, QueueConfig, queueConfig } from './app.config';
import { ConfigModule } from './config.module';
import { validateEnv } from './env.validation';

const REQUIRED = { BOT_UID: 'bot', WEBHOOK_USERNAME: 'cometchat', WEBHOOK_PASSWORD: 's3cret' };

describe('ConfigModule', () => {
  it('provides every namespace under its registerAs KEY, made from the environment it was given', async () => {
    const env = validateEnv({ ...REQUIRED, PORT: '4000', JOB_LOCK_MS: '8000' });
    const module = await Test.createTestingModule({ imports: [ConfigModule.forRoot(env)] }).compile();
    expect(module.get<AppConfig>(appConfig.KEY).port).toBe(4000);
    expect(module.get<QueueConfig>(queueConfig.KEY).recoveryCheckMs).toBe(4000);
    for (const namespace of CONFIG_NAMESPACES) expect(module.get(namespace.KEY)).toEqual(namespace(env));
    await module.close();
  });

  it('says where a namespace comes from when something calls its factory without the environment', () => {
    expect(() => appConfig()).toThrow('ConfigModule.forRoot(env)');
  });
});

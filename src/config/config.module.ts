import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule, registerAs } from '@nestjs/config';
import { CONFIG_NAMESPACES } from './app.config';
import type { EnvironmentVariables } from './env.validation';

/** The environment validated once at boot, for what no namespace covers. */
export const ENVIRONMENT = Symbol('ENVIRONMENT');

/**
 * Typed configuration for every module, from the environment validated once (main.ts, or a test) and passed in:
 * nothing here reads process.env, so two apps in one process never see each other's settings.
 */
@Module({})
export class ConfigModule {
  static forRoot(env: EnvironmentVariables): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      imports: [
        NestConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          skipProcessEnv: true,
          load: CONFIG_NAMESPACES.map((ns) => registerAs<object>(ns.name, () => ns.pick(env))),
        }),
      ],
      providers: [{ provide: ENVIRONMENT, useValue: env }],
      exports: [ENVIRONMENT],
    };
  }
}

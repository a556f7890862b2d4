import { DynamicModule, Module, Provider } from '@nestjs/common';
import { CONFIG_NAMESPACES } from './app.config';
import type { EnvironmentVariables } from './env.validation';
import { ServedBots } from './served-bots';

/** This app's validated environment: what every namespace's factory is called with. */
const VALIDATED_ENV = Symbol('VALIDATED_ENV');

/**
 * Typed configuration for every module: the registerAs namespaces of app.config.ts, each injected by its KEY and
 * typed ConfigType<typeof namespace>, made from the environment validated once (main.ts, or a test) and passed in.
 * Each namespace is provided as @nestjs/config's own loader provides one (its KEY, its factory), plus the `inject`
 * that loader has no option for: nothing here reads process.env, so two apps in one process never see each
 * other's settings.
 */
@Module({})
export class ConfigModule {
  static forRoot(env: EnvironmentVariables): DynamicModule {
    const namespaces: Provider[] = CONFIG_NAMESPACES.map((namespace) => ({ provide: namespace.KEY, useFactory: namespace, inject: [VALIDATED_ENV] }));
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: VALIDATED_ENV, useValue: env }, ...namespaces, ServedBots],
      exports: [...CONFIG_NAMESPACES.map((namespace) => namespace.KEY), ServedBots],
    };
  }
}

import { DynamicModule, Module, Provider } from '@nestjs/common';
import { CONFIG_NAMESPACES } from './app.config';
import { botsOf } from './bots-file';
import { ConfigValidationError, type EnvironmentVariables } from './env.validation';

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
    refuseSeveralBots(env);
    const namespaces: Provider[] = CONFIG_NAMESPACES.map((namespace) => ({ provide: namespace.KEY, useFactory: namespace, inject: [VALIDATED_ENV] }));
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: VALIDATED_ENV, useValue: env }, ...namespaces],
      exports: CONFIG_NAMESPACES.map((namespace) => namespace.KEY),
    };
  }
}

/**
 * Until each bot is served (routed, authenticated, answered and budgeted as itself), a deployment serves one bot: a
 * BOTS_FILE of several is refused rather than having the others' callbacks answered as the first.
 */
function refuseSeveralBots(env: EnvironmentVariables): void {
  const bots = botsOf(env);
  if (bots.length < 2) return;
  throw new ConfigValidationError([
    `BOTS_FILE lists ${bots.length} bots (${bots.map((bot) => bot.uid).join(', ')}); this version serves one bot per deployment: give each bot a deployment of its own, with a BOTS_FILE of one bot`,
  ]);
}

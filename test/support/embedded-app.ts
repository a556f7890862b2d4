/**
 * The app embedded in a process of a team's own: createApp(), and app.close() on SIGTERM, but no process.exit().
 * The process ends only once nothing of the app is left running (no connection, no timer).
 */
import 'reflect-metadata';
import { createApp } from '../../src/app.setup';
import { validateEnv } from '../../src/config/env.validation';

async function main(): Promise<void> {
  const env = validateEnv(process.env);
  const app = await createApp(env);
  await app.listen({ port: env.PORT, host: env.HOST });
  process.stdout.write(`listening on ${env.HOST}:${env.PORT}\n`);
  process.once('SIGTERM', () => {
    app
      .close()
      .then(() => process.stdout.write('app closed\n'))
      .catch((error: Error) => process.stderr.write(`close failed: ${error.message}\n`));
  });
}

main().catch((error: Error) => {
  process.stderr.write(`failed to start: ${error.message}\n`);
  process.exitCode = 1;
});

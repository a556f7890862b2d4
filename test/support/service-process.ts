import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './wait-for';

const ROOT = join(__dirname, '..', '..');

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The service as operators run it: its own process, real signals. `spawn` runs the sources through ts-node (a test's
 * own entry point may add responders); `spawnBuilt` runs the build, `node dist/main.js` (see built-service.ts).
 */
export class ServiceProcess {
  /** stdout and stderr as they came, interleaved. */
  output = '';
  stdout = '';
  stderr = '';
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout!.on('data', (d: Buffer) => {
      this.output += d.toString();
      this.stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.output += d.toString();
      this.stderr += d.toString();
    });
  }

  /** `script`: the entry point, relative to the project (a test's own, to load its responders). */
  static spawn(env: Record<string, string>, script = 'src/main.ts'): ServiceProcess {
    return ServiceProcess.launch(['-r', 'ts-node/register/transpile-only', script], {
      PATH: process.env.PATH ?? '',
      NO_COLOR: '1',
      HOST: '127.0.0.1',
      ...env,
    });
  }

  /** `node dist/main.js` (build it first: ensureBuilt()) with exactly `env`: nothing of the test's environment. */
  static spawnBuilt(env: Record<string, string>): ServiceProcess {
    return ServiceProcess.launch([join('dist', 'main.js')], env);
  }

  private static launch(args: string[], env: Record<string, string>): ServiceProcess {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    return new ServiceProcess(child, Number(env.PORT));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Whether the process is still running: it has neither exited nor been ended by a signal. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last `lines` lines of its output, for a failure message. */
  tail(lines = 40): string {
    return this.output.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Resolves once GET /health/ready answers 200; throws, with the output's tail, if the process ends first or it times out. */
  async ready(timeoutMs = 30_000): Promise<void> {
    let outcome: 'ready' | 'ended';
    try {
      outcome = await waitFor(
        `${this.url}/health/ready to answer 200`,
        async () => {
          if (!this.running) return 'ended' as const;
          const res = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(2000) });
          return res.status === 200 && ('ready' as const);
        },
        { timeoutMs, intervalMs: 100 },
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- its output ends:\n${this.tail()}`);
    }
    if (outcome === 'ended') {
      throw new Error(
        `the service ended before it was ready (code ${this.child.exitCode}, signal ${this.child.signalCode})\n--- its output ends:\n${this.tail()}`,
      );
    }
  }

  async exited(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return { code: this.child.exitCode, signal: this.child.signalCode };
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      const [code, signal] = (await once(this.child, 'exit')) as [number | null, NodeJS.Signals | null];
      return { code, signal };
    } finally {
      clearTimeout(timer);
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

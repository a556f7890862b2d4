/**
 * Each server runs in a child process of its own (this file, started with `--serve`), so the load generator never
 * shares an event loop with the code it measures.
 */
import { ChildProcess, fork } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnyTarget, Role, startTarget } from './targets';

const PROFILE = process.env.BENCH_PROFILE === '1';
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR ?? join(tmpdir(), 'bench-profiles');

interface ServeMessage {
  ready?: { port: number };
  cpu?: NodeJS.CpuUsage;
}

export interface Server {
  target: AnyTarget;
  role: Role;
  prefix: string;
  port: number;
  child: ChildProcess;
}

const children = new Set<ChildProcess>();

/** Kills every child still running (a crashed or overrun bench). */
export function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
}

export interface ServeArgs {
  target: AnyTarget;
  prefix: string;
  role: Role;
  cometchatUrl?: string;
  baselineClaims?: boolean;
  /** The service's bots from this BOTS_FILE (targets.ts). */
  botsFile?: string;
}

export function startServer({
  target,
  prefix,
  role,
  cometchatUrl = 'http://127.0.0.1:9/v3',
  baselineClaims = false,
  botsFile,
}: ServeArgs): Promise<Server> {
  // Compiled (npm run bench), the servers run as plain Node, as in production; ts-node (which loads node:domain,
  // slowing every event emitter) only when this file itself runs under it.
  const execArgv = __filename.endsWith('.ts') ? ['-r', require.resolve('ts-node/register/transpile-only')] : [];
  if (PROFILE) execArgv.push('--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${target}-${role}-${prefix}.cpuprofile`);
  const args = ['--serve', JSON.stringify({ target, prefix, role, cometchatUrl, baselineClaims, botsFile })];
  const child = fork(__filename, args, {
    execArgv,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    // The servers' log lines go where a container's would, out of the report: written, not shown.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${target} (${role}) did not start within 60 s`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${target} (${role}) exited with code ${code} while starting`));
    });
    child.on('message', function onReady(message: ServeMessage) {
      if (!message.ready) return;
      clearTimeout(timer);
      child.off('message', onReady);
      resolve({ target, role, prefix, port: message.ready.port, child });
    });
  });
}

export function cpuOf(server: Server): Promise<NodeJS.CpuUsage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${server.target} did not report its CPU usage`)), 5000);
    server.child.on('message', function onCpu(message: ServeMessage) {
      if (!message.cpu) return;
      clearTimeout(timer);
      server.child.off('message', onCpu);
      resolve(message.cpu);
    });
    server.child.send({ cmd: 'cpu' });
  });
}

export async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
  server.child.send({ cmd: 'stop' });
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Runs in the child: starts one target, answers CPU-usage questions, stops on request. */
async function serve(args: ServeArgs): Promise<void> {
  const { port, close } = await startTarget(args.target, {
    prefix: args.prefix,
    role: args.role,
    cometchatUrl: args.cometchatUrl ?? 'http://127.0.0.1:9/v3',
    baselineClaims: args.baselineClaims,
    botsFile: args.botsFile,
  });
  process.on('message', (message: { cmd: string }) => {
    if (message.cmd === 'cpu') process.send!({ cpu: process.cpuUsage() } satisfies ServeMessage);
    if (message.cmd === 'stop') {
      // A normal exit, so that --cpu-prof writes its profile.
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    }
  });
  process.on('disconnect', () => process.exit(0)); // the parent is gone
  process.send!({ ready: { port } } satisfies ServeMessage);
}

if (process.argv[2] === '--serve') {
  const args = JSON.parse(process.argv[3]) as ServeArgs;
  serve(args).catch((error) => {
    process.stderr.write(`bench ${args.target}: ${error instanceof Error ? error.stack : error}\n`);
    process.exit(1);
  });
}

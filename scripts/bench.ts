/**
 * `npm run bench`: the service against a bare Fastify + BullMQ service with the same public contract
 * (scripts/bench/targets.ts), as ratios measured in the same run; a report, never a test.
 *
 *   BENCH_PHASES   pipeline,ingest,bots (default all three, in this order): which comparisons to run; e.g.
 *                  BENCH_PHASES=bots for the several-bots comparison alone (scripts/bench/bots.ts)
 *   REDIS_URL      redis://127.0.0.1:6379
 *   BENCH_PROFILE=1 also writes a V8 CPU profile of each server to BENCH_PROFILE_DIR (default <tmpdir>/bench-profiles)
 * and each phase's own settings (scripts/bench/pipeline.ts, scripts/bench/ingest.ts, scripts/bench/bots.ts).
 * Exit code: 0 for a complete report (PASS or FAIL), 1 when something crashed, a request failed, or the numbers
 * cannot be trusted (an accepted message not stored, a reply out of order or on another bot's send path).
 */
import { runBotsBench } from './bench/bots';
import { killChildren } from './bench/children';
import { runIngestBench } from './bench/ingest';
import { runPipelineBench } from './bench/pipeline';

const PHASES: Record<string, () => Promise<number>> = { pipeline: runPipelineBench, ingest: runIngestBench, bots: runBotsBench };

async function main(): Promise<number> {
  const wanted = (process.env.BENCH_PHASES ?? 'pipeline,ingest,bots').split(',').map((p) => p.trim());
  const unknown = wanted.filter((p) => !(p in PHASES));
  if (unknown.length > 0) throw new Error(`BENCH_PHASES: unknown phase(s) ${unknown.join(', ')}; known: ${Object.keys(PHASES).join(', ')}`);
  let code = 0;
  for (const phase of wanted) code = Math.max(code, await PHASES[phase]());
  return code;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`bench failed: ${error instanceof Error ? error.stack : error}`);
    killChildren();
    process.exit(1);
  },
);

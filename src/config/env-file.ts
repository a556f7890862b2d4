import { existsSync } from 'node:fs';

// Imported first by main.ts: variables in .env count from the very start, tracing's OTEL_* included. Variables
// already in the environment win.
if (existsSync('.env')) process.loadEnvFile('.env');

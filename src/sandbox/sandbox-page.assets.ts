import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const PAGE_DIR = join(__dirname, 'page');

/** The chat page's static files: plain HTML, CSS and JS, no build step; `npm run build` copies them to dist/. */
export interface SandboxPageAssets {
  html: string;
  css: string;
  js: string;
}

export function loadSandboxPageAssets(): SandboxPageAssets {
  const read = (name: string) => {
    try {
      return readFileSync(join(PAGE_DIR, name), 'utf8');
    } catch (error) {
      throw new Error(`sandbox page asset ${name} missing in ${PAGE_DIR} (does the build copy src/sandbox/page?): ${(error as Error).message}`);
    }
  };
  return { html: read('sandbox.html'), css: read('sandbox.css'), js: read('sandbox.js') };
}

#!/usr/bin/env node
// What the compiler does not copy: the service's Lua scripts (src/**/*.lua) and the sandbox page, into the compiled
// tree given (dist for the build, dist-bench/src for the bench).
const { cpSync, readdirSync } = require('node:fs');
const { join, relative } = require('node:path');

const out = process.argv[2];
if (!out) throw new Error('usage: copy-assets.js <compiled src directory>');
const src = join(__dirname, '..', 'src');

function copyLua(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copyLua(path);
    else if (entry.name.endsWith('.lua')) cpSync(path, join(out, relative(src, path)));
  }
}
copyLua(src);
cpSync(join(src, 'sandbox/page'), join(out, 'sandbox/page'), { recursive: true });

#!/usr/bin/env node
/**
 * `npm run docs:links`: every relative link in README.md and docs/*.md leads somewhere: the file exists, and an
 * `#anchor` names a heading of that file (as GitHub makes anchors from headings). Prints each broken link and exits 1.
 * External links (a scheme, or //) are not followed: the build machines reach no web.
 */
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { dirname, join, relative, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..');
const DOCS = join(ROOT, 'docs');
const files = [
  join(ROOT, 'README.md'),
  ...(existsSync(DOCS)
    ? readdirSync(DOCS)
        .filter((f) => f.endsWith('.md'))
        .map((f) => join(DOCS, f))
    : []),
];

/** Markdown without its fenced code blocks and inline code spans, where a `[x](y)` is no link. */
const prose = (text) => text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '``');

/** GitHub's anchors: lowercased, punctuation dropped (letters, digits, spaces, `-` and `_` kept), spaces to `-`; repeats get -1, -2… */
function anchorsOf(text) {
  const seen = new Map();
  const anchors = new Set();
  const withoutFences = text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const [, heading] of withoutFences.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

const broken = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(target)) continue;
    const [path, anchor] = target.split('#', 2);
    const to = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
    const where = `${relative(ROOT, file)}: (${target})`;
    if (!existsSync(to)) broken.push(`${where}: no such file`);
    else if (anchor !== undefined && to.endsWith('.md') && !anchorsOf(readFileSync(to, 'utf8')).has(anchor.toLowerCase())) {
      broken.push(`${where}: no heading makes #${anchor}`);
    }
  }
}
if (broken.length) {
  console.error(`${broken.length} broken link(s):\n${broken.join('\n')}`);
  process.exit(1);
}
console.log(`docs links: ${files.length} file(s), every relative link resolves`);

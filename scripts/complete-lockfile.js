#!/usr/bin/env node
// The npm registry reachable from our build machines serves only the Linux builds of optional native packages,
// so `npm install` here writes a lockfile without the other platforms' entries and `npm ci` then refuses it
// ("Missing: … from lock file"). This adds those entries (name, version, os, cpu, optional), so `npm ci` works
// here and on any other platform, where npm resolves them from the registry as usual.
// Run after changing dependencies: node scripts/complete-lockfile.js
const fs = require('fs');
const path = require('path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const OS = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'loong64', 'ppc64', 'riscv64', 's390x', 'wasm32'];
const word = (name, list) => list.find((w) => new RegExp(`(^|[-_/])${w}($|[-_])`).test(name.split('/').pop()));

let added = 0;
for (const [at, pkg] of Object.entries(lock.packages)) {
  for (const [name, spec] of Object.entries(pkg.optionalDependencies ?? {})) {
    const base = at ? `${at}/node_modules/` : 'node_modules/';
    if (lock.packages[`${base}${name}`] || lock.packages[`node_modules/${name}`]) continue;
    const os = word(name, OS);
    const cpu = word(name, CPU);
    if (!os && !cpu) continue; // not a platform build: leave it to npm
    lock.packages[`node_modules/${name}`] = {
      // Key order as npm writes it, so a later `npm install` leaves the file as it is.
      version: spec.replace(/^[\^~=]/, ''),
      ...(cpu ? { cpu: [cpu] } : {}),
      optional: true,
      ...(os ? { os: [os] } : {}),
    };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} platform entries`);

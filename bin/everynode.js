#!/usr/bin/env node
// Runs the compiled CLI when it exists (npm pack / installed use), else the TypeScript sources
// through tsx, so a fresh clone works without a build step.
//
// everynode needs Node 22.19 or newer. On an older Node (a shell whose PATH has no
// node_modules/.bin, a system Node 20) it re-runs itself on the Node that the package manager
// installed with it (the optional dependency node-<platform>-<arch>), so the command works as
// typed; with no such Node it says so and exits 1.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';

// package.json's engines (>=22.19.0: undici 8, under @kubernetes/client-node 2).
const MIN = [22, 19];
const here = fileURLToPath(import.meta.url);
const root = join(dirname(here), '..');

/** The Node binary installed beside everynode for this platform, if the package manager added it. */
function bundledNode() {
  try {
    const pkg = createRequire(here).resolve(
      `node-${process.platform}-${process.arch}/package.json`,
    );
    const bin = join(dirname(pkg), 'bin', 'node');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < MIN[0] || (major === MIN[0] && minor < MIN[1])) {
  const node = bundledNode();
  if (node === undefined || process.env.EVERYNODE_REEXEC) {
    process.stderr.write(
      `everynode needs Node.js ${MIN.join('.')} or newer; this is ${process.version} ` +
        `(${process.execPath}). Install Node ${MIN[0]}, or run it as \`npx everynode\` ` +
        `in a project whose npm install added node-${process.platform}-${process.arch}.\n`,
    );
    process.exit(1);
  }
  const child = spawn(node, [here, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, EVERYNODE_REEXEC: '1' },
  });
  // The child gets the terminal's signals itself; a signal sent to this process alone is passed on.
  const forward = (sig) => child.kill(sig);
  const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  for (const sig of signals) process.on(sig, forward);
  child.on('exit', (code, signal) => {
    for (const sig of signals) process.off(sig, forward);
    // Exit as the child did: the same code, or killed by the same signal.
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else {
  // `everynode run` treats SIGTERM/SIGINT as a request to stop from the first moment: they are
  // recorded here, before anything loads, until the command takes them over
  // (src/cli/signals.ts), instead of killing a process that is still loading.
  if (process.argv[2] === 'run') {
    const early = { received: [], listener: undefined };
    early.listener = (signal) => early.received.push(signal);
    for (const s of ['SIGTERM', 'SIGINT']) process.on(s, early.listener);
    globalThis[Symbol.for('everynode.early-signals')] = early;
  }
  const compiled = join(root, 'dist', 'cli', 'main.js');
  if (existsSync(compiled) && !process.env.EVERYNODE_FROM_SOURCE) {
    await import(pathToFileURL(compiled).href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
  }
}

/*
 * Body of a simulator child process started by spawnSimulator(). Reads its options (JSON) from
 * SIM_OPTIONS_ENV, starts the server, prints exactly one line on stdout
 * ({"event":"listening",...}) and runs until SIGTERM / SIGINT or until its stdin closes (the
 * parent died), then closes the server so the chunk log is flushed. Errors go to stderr, one
 * line, exit code 1.
 */
import { SIM_OPTIONS_ENV, WATCH_STDIN_ENV } from './child-env.ts';
import { startSimServer, type SimServer } from './server.ts';

let server: SimServer | undefined;
let stopping = false;

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await server?.close();
  } finally {
    process.exit(code);
  }
}

process.on('SIGTERM', () => void stop(0));
// Under a parent that watches it (stdin), the parent stops it: a terminal's Ctrl-C reaches the
// whole process group, and the parent still needs the server while it winds its run down.
process.on('SIGINT', () => {
  if (process.env[WATCH_STDIN_ENV] !== '1') void stop(0);
});
if (process.env[WATCH_STDIN_ENV] === '1') {
  process.stdin.on('end', () => void stop(0));
  process.stdin.on('close', () => void stop(0));
  process.stdin.on('error', () => void stop(0));
  process.stdin.resume();
}

try {
  const options: unknown = JSON.parse(process.env[SIM_OPTIONS_ENV] ?? '{}');
  server = await startSimServer(options as Parameters<typeof startSimServer>[0]);
  const line = { event: 'listening', url: server.url, pid: process.pid, models: server.options.models };
  process.stdout.write(`${JSON.stringify(line)}\n`);
} catch (err) {
  process.stderr.write(`${(err as Error).message.split('\n')[0]}\n`);
  process.exit(1);
}

/** The coordinator's handles on bot groups: in this process, or in child processes over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BotGroup, type GroupCommand, type GroupEvent } from './bot-group.ts';

export interface GroupHandle {
  /** Resolves when the group can take bots (a worker process has loaded). */
  readonly ready: Promise<void>;
  send(cmd: GroupCommand): void;
  /** Resolves when the group reports it stopped (or its process ended). */
  readonly done: Promise<void>;
  /** Ends a group that did not stop in time. */
  kill(): void;
}

const WORKER = fileURLToPath(new URL('./worker-main.ts', import.meta.url));
/** tsx's loader by absolute URL, so that children start from any working directory. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export function localGroup(onEvent: (e: GroupEvent) => void): GroupHandle {
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => { stopped = resolve; });
  const group = new BotGroup((e) => {
    onEvent(e);
    if (e.type === 'stopped') stopped();
  });
  return { ready: Promise.resolve(), send: (cmd) => group.handle(cmd), done, kill: () => stopped() };
}

export function childGroup(onEvent: (e: GroupEvent) => void): GroupHandle {
  // The child runs TypeScript through tsx, as bin/visitwire.mjs does.
  const child: ChildProcess = fork(WORKER, [], { execArgv: ['--import', TSX], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (e: GroupEvent) => (e.type === 'ready' ? resolve() : onEvent(e)));
    child.once('exit', (code) => reject(new Error(`a worker process exited with code ${code} before it was ready`)));
  });
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    ready,
    send: (cmd) => { if (child.connected) child.send(cmd); },
    done,
    kill: () => { if (child.exitCode === null) child.kill('SIGKILL'); },
  };
}

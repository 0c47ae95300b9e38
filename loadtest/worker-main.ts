/**
 * Entry of a `--workers` child process: a BotGroup driven over IPC.
 * Ctrl-C reaches the whole process group; the coordinator decides when to stop.
 */
import { BotGroup, type GroupCommand } from './bot-group.ts';
import { mediaLoop } from './bot/media/media-loop.ts';

if (!process.send) throw new Error('loadtest/worker-main.ts runs as a child process with an IPC channel');

process.on('SIGINT', () => undefined);
const group = new BotGroup((e) => {
  process.send!(e);
  if (e.type === 'stopped') process.disconnect();
});
process.on('message', (cmd: GroupCommand) => group.handle(cmd));
mediaLoop();
process.send({ type: 'ready' });
process.on('disconnect', () => setTimeout(() => process.exit(0), 100).unref());

/**
 * npm run bench:idle — what a node costs when little happens: the server of
 * `npm start` (1 worker) as a child process, its Node process's CPU (all its
 * threads) and its mediasoup worker's, % of one core over WINDOW_S seconds,
 * first with no visit, then with each count in VISITS of 2-party visits whose
 * participants joined (signaling only: a Router and adaptation per visit, no
 * transports). SETTLE_S seconds pass before each window (start-up GCs, joins).
 * Figures only; CPU on a shared machine is noisy: compare runs made together.
 */
import { childrenOf, cpuSeconds } from '../loadtest/proc-cpu.ts';
import { connectClient, type TestClient } from '../test/helpers/signaling-client.ts';
import { startServer } from '../test/helpers/stack.ts';

const WINDOW_S = Number(process.env.WINDOW_S ?? 30);
const SETTLE_S = Number(process.env.SETTLE_S ?? 30);
const VISITS = (process.env.VISITS ?? '20').split(/\s+/).filter(Boolean).map(Number);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const server = await startServer({ VISITWIRE_WORKERS: '1', VISITWIRE_DEMO: '0' });
const nodePid = server.proc.pid!;
const workerPid = childrenOf(nodePid).find((c) => c.name.startsWith('mediasoup-work'))?.pid;
const clients: TestClient[] = [];

async function window(label: string): Promise<void> {
  await sleep(SETTLE_S * 1000);
  const read = () => ({ at: performance.now(), node: cpuSeconds(nodePid) ?? NaN, worker: workerPid ? cpuSeconds(workerPid) ?? NaN : NaN });
  const before = read();
  await sleep(WINDOW_S * 1000);
  const after = read();
  const pct = (key: 'node' | 'worker') => (((after[key] - before[key]) / ((after.at - before.at) / 1000)) * 100).toFixed(2);
  console.log(`  ${label.padEnd(22)} node ${pct('node').padStart(5)} %   worker ${pct('worker').padStart(5)} %`);
}

async function join(visit: string, user: string, role: 'provider' | 'nurse'): Promise<void> {
  const client = await connectClient(server.url, await server.token({ visit, user, role }));
  clients.push(client);
  const reply = await client.request('join', {});
  if (reply.error) throw new Error(`join ${visit}/${user}: ${reply.error.code} ${reply.error.message}`);
}

console.log(`bench:idle: visitwire start (1 worker), CPU % of one core over ${WINDOW_S} s, after ${SETTLE_S} s settling`);
try {
  await window('no visit');
  let open = 0;
  for (const target of VISITS) {
    for (; open < target; open++) {
      await join(`idle-${open}`, `dr-${open}`, 'provider');
      await join(`idle-${open}`, `nurse-${open}`, 'nurse');
    }
    await window(`${target} joined visits`);
  }
} finally {
  for (const c of clients) c.close();
  await server.stop();
}

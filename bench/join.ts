/**
 * npm run bench:join — 50 joins against the server of `npm start`, each by a
 * client with real WebRTC (a werift bot: ICE, DTLS, SRTP): join latency (from
 * connecting to the join answer, socket.io connect included) and time to the
 * first remote video packet (from connecting), p50 and p95. A provider bot
 * publishes in the visit throughout; each joiner is a nurse (no waiting room).
 */
import { connectBot } from '../loadtest/bot/index.ts';
import { startServer } from '../test/helpers/stack.ts';

const JOINS = Number(process.env.JOINS ?? 50);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const server = await startServer({ VISITWIRE_WORKERS: '1' });
const visit = 'bench-join';
const host = await connectBot({ url: server.url, token: await server.token({ visit, user: 'dr-bench', role: 'provider' }), publish: { audio: true, video: true } });
const joins: number[] = [];
const firstVideo: number[] = [];
const afterConsume: number[] = [];
let failures = 0;
try {
  for (let i = 0; i < JOINS; i++) {
    const t0 = performance.now();
    try {
      const bot = await connectBot({ url: server.url, token: await server.token({ visit, user: `nurse-${i}`, role: 'nurse' }), publish: { audio: false, video: false } });
      joins.push(bot.metrics().joinMs!);
      for (let waited = 0; waited < 10_000; waited += 5) {
        const video = bot.metrics().subscriptions.find((s) => s.kind === 'video' && s.packets > 0);
        if (video) { firstVideo.push(performance.now() - t0); afterConsume.push(video.firstPacketMs ?? NaN); break; }
        await sleep(5);
      }
      await bot.leave();
    } catch (err) {
      failures++;
      console.error(`join ${i} failed: ${(err as Error).message}`);
    }
  }
} finally {
  await host.leave();
  await server.stop();
}
const ms = (x: number) => `${Math.round(x)} ms`;
console.log(`bench:join: ${JOINS} joins by werift WebRTC clients against visitwire start (1 worker), ${failures} failed`);
console.log(`  join latency (connect to join answer):   p50 ${ms(pct(joins, 50))}  p95 ${ms(pct(joins, 95))}`);
console.log(`  first remote video packet (from connect): p50 ${ms(pct(firstVideo, 50))}  p95 ${ms(pct(firstVideo, 95))}  (${firstVideo.length} of ${JOINS} got video)`);
console.log(`  of which from the consume request:        p50 ${ms(pct(afterConsume, 50))}  p95 ${ms(pct(afterConsume, 95))}`);

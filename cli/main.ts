import os from 'node:os';
import { configFromEnv } from '../common/config.ts';
import { localRtcAddress } from '../common/local-address.ts';
import { logger } from '../common/logger.ts';
import { ROLES, type Role } from '../common/roles.ts';
import { loadSigningKey } from '../common/key-set.ts';
import { devSecret, mintToken } from '../common/tokens.ts';
import { fail, parseOptions } from './args.ts';
import { runDrain } from './drain.ts';
import { runNode } from './node.ts';
import { runRouter } from './router.ts';
import { startStack } from './stack.ts';

const USAGE = `usage: visitwire <command> [options]

commands:
  start                  signaling, SFU and the demo in one process (PORT, HOST; see README)
  token --visit V --user U --role R [--residency X] [--ttl SECONDS] [--key-file PRIVATE.jwk.json]
                         print a visit token signed with the private key (ES256/EdDSA, its kid), else VISITWIRE_SECRET
  node --region ID [--redis URL] [--port N] [--host H] [--public-url URL]
       [--announced-ip IP] [--node-id ID] [--max-visits N] [--turn-urls URL,...]
                         signaling and SFU as one regional node of a cluster (SIGTERM drains)
  router --regions FILE [--redis URL] [--geoip FILE.mmdb] [--trust-proxy CIDR,...]
         [--port N] [--host H] [--default-region ID] [--ice-servers JSON] [--sticky-km KM] [--turn-urls URL,...]
                         the edge router: GET /v1/route, GET /v1/regions
  drain <nodeId|nodeUrl> [--redis URL] --token ADMIN_TOKEN
                         drain a node: it takes no new visits and exits when its visits end
  loadtest (--router URL | --node URL) --visits N [--ramp R] [--duration S] [--target-visits N]
           [--profile two-party|three-party|audio-only] [--workers K] [--report DIR] [--secret S]
                         N concurrent visits of WebRTC bots; PASS or FAIL against the target
`;

async function start(): Promise<void> {
  const config = configFromEnv();
  let secret = config.secret;
  if (!secret) {
    secret = devSecret();
    logger.warn('VISITWIRE_SECRET is not set: using a random dev secret for this run (tokens from `visitwire token` will not work against it)');
  }
  // The local demo guesses a media address every browser on this machine reaches; production (`visitwire node`) never guesses.
  const local = localRtcAddress(process.env, os.networkInterfaces());
  const media = local ? { ...config.media, listenIp: local.listenIp, announcedAddress: local.announcedAddress } : config.media;
  const stack = await startStack({ ...config, media, secret, keys: secret, demo: config.demo ?? true });
  for (const note of local?.notes ?? []) process.stdout.write(`${note}\n`);
  process.stdout.write(`visitwire is running: open ${stack.url}/ for the demo\n`);
  process.stdout.write(`metrics for Prometheus: ${stack.metricsUrl}/metrics\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stack.close().then(() => { process.stdout.write('visitwire stopped cleanly\n'); process.exit(0); }, (err) => { logger.error({ err }, 'shutdown failed'); process.exit(1); });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  void stack.node.drained.then(() => stop('drained'));
}

async function token(args: string[]): Promise<void> {
  const values = parseOptions(args, ['visit', 'user', 'role', 'residency', 'ttl', 'key-file']);
  const keyFile = values['key-file'];
  const signer = keyFile ? await loadSigningKey(keyFile).catch((err: Error) => fail(`--key-file ${keyFile}: ${err.message}`)) : process.env.VISITWIRE_SECRET;
  if (!signer) fail('VISITWIRE_SECRET is not set (or give --key-file)');
  if (!values.visit || !values.user || !values.role) fail('token needs --visit, --user and --role');
  if (!ROLES.includes(values.role as Role)) fail(`--role must be one of ${ROLES.join(', ')}`);
  const ttl = values.ttl === undefined ? 3600 : Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) fail('--ttl must be a positive number of seconds');
  try {
    process.stdout.write(`${await mintToken(signer, { visit: values.visit, user: values.user, role: values.role as Role, residency: values.residency, ttlSeconds: ttl })}\n`);
  } catch (err) {
    fail(`invalid token options: ${(err as Error).message.split('\n')[0]}`);
  }
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'start') await start();
  else if (command === 'token') await token(rest);
  else if (command === 'node') await runNode(rest);
  else if (command === 'router') await runRouter(rest);
  else if (command === 'drain') await runDrain(rest);
  else if (command === 'loadtest') process.exit(await (await import('../loadtest/index.ts')).loadtestCommand(rest));
  else if (command === undefined || command === 'help' || command === '--help') process.stdout.write(USAGE);
  else fail(`unknown command ${command}\n${USAGE}`);
} catch (err) {
  fail((err as Error).message, 1);
}

import os from 'node:os';
import { configFromEnv } from '../common/config.ts';
import { withTimeout } from '../common/errors.ts';
import { logger } from '../common/logger.ts';
import { parseMetricsAddr } from '../common/metrics-server.ts';
import { createRegistry } from '../common/registry/index.ts';
import { IdSchema } from '../common/ids.ts';
import { parseRegions } from '../edge-router/regions.ts';
import { fail, parseOptions } from './args.ts';
import { httpUrlOption, portOption, positiveIntOption, redisUrlOption, turnOption } from './option-values.ts';
import { startStack } from './stack.ts';
import { verificationKeys } from './verification-keys.ts';

const CLOSE_TIMEOUT_MS = 10_000;

/**
 * `visitwire node`: signaling and SFU as one regional node of a cluster,
 * registered in Redis. SIGTERM (or `POST /v1/admin/drain`) drains it: no new
 * visits, its participants are asked to move to another node (`migrate`),
 * and it exits 0 once empty, or after `--drain-timeout` seconds (ending
 * whoever is left). A second signal exits at once.
 */
export async function runNode(args: string[]): Promise<void> {
  const o = parseOptions(args, ['region', 'redis', 'port', 'host', 'public-url', 'announced-ip', 'node-id', 'max-visits', 'drain-timeout', 'turn-urls', 'internal-addr']);
  const config = configFromEnv();
  const region = o.region ?? fail('node needs --region <id> (e.g. eu-west)');
  try {
    parseRegions([{ id: region, lat: 0, lon: 0 }], '--region');
  } catch {
    fail(`--region must be 1-64 of a-z 0-9 - (e.g. eu-west), not "${region}"`);
  }
  const redisUrl = redisUrlOption(o.redis, config.redisUrl, 'node');
  const port = portOption(o.port, config.port);
  const host = o.host ?? config.host;
  const nodeId = o['node-id'] ?? `${region}-${os.hostname()}-${process.pid}`;
  if (!IdSchema.safeParse(nodeId).success) fail(`--node-id must be 1-128 of A-Z a-z 0-9 _ . : @ -, not "${nodeId}"`);
  const maxVisits = positiveIntOption('max-visits', o['max-visits'], 100);
  const publicUrl = httpUrlOption('public-url', o['public-url']);
  const drainTimeoutMs = positiveIntOption('drain-timeout', o['drain-timeout'], config.drainTimeoutMs / 1000) * 1000;

  const turn = turnOption(o['turn-urls'], config.turn);
  const keys = await verificationKeys(config, 'a node', logger);
  if (!config.clusterSecret) {
    fail('VISITWIRE_CLUSTER_SECRET is not set: nodes sign the requests that pipe a visit between them with it (at least 32 characters, the same on every node)');
  }
  const internalAddr = o['internal-addr'] ?? config.internalAddr;
  if (o['internal-addr'] !== undefined) {
    try {
      parseMetricsAddr(o['internal-addr']);
    } catch {
      fail(`--internal-addr must be host:port (e.g. 10.0.0.7:9470), not "${o['internal-addr']}"`);
    }
  }
  const registry = createRegistry({ redisUrl, prefix: config.redisPrefix });
  const stack = await startStack({
    ...config, redisUrl, keys, port, host, demo: false, registry, region, nodeId, maxVisits, publicUrl, drainTimeoutMs, turn, internalAddr,
    media: { ...config.media, announcedAddress: o['announced-ip'] ?? config.media.announcedAddress },
  });
  const { signalingUrl } = stack.node.status();
  process.stdout.write(`visitwire node ${nodeId} (${region}) is serving ${signalingUrl}\n`);
  process.stdout.write(`metrics for Prometheus: ${stack.metricsUrl}/metrics\n`);
  process.stdout.write(`node-to-node API: ${stack.internalUrl}\n`);

  const exit = async (code: number, why: string) => {
    logger.info({ node: nodeId, why }, 'node stopping');
    try {
      await withTimeout(stack.close().then(() => registry.close()), CLOSE_TIMEOUT_MS, 'node shutdown');
    } catch (err) {
      logger.error({ err }, 'node shutdown failed');
      code = code || 1;
    }
    process.stdout.write(`visitwire node ${nodeId} stopped (${why})\n`);
    process.exit(code);
  };
  void stack.node.drained.then(() => exit(0, 'drained'));

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.warn({ signal, visits: stack.visits.visitCount }, 'second signal: exiting without waiting for visits');
      process.exit(1);
    }
    logger.info({ signal }, 'draining on signal; send it again to exit at once');
    stack.node.drain();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

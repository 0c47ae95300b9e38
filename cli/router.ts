import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { configFromEnv } from '../common/config.ts';
import { createHttpServer } from '../common/http-server.ts';
import { logger } from '../common/logger.ts';
import { startMetricsServer } from '../common/metrics-server.ts';
import { createRateLimits } from '../common/rate-limits.ts';
import { createRegistry } from '../common/registry/index.ts';
import { createGeoLocator } from '../edge-router/geo.ts';
import { loadRegionsFile } from '../edge-router/regions.ts';
import { createEdgeRouter } from '../edge-router/server.ts';
import { fail, parseOptions } from './args.ts';
import { portOption, redisUrlOption, turnOption } from './option-values.ts';
import { verificationKeys } from './verification-keys.ts';

const IceServersSchema = z.array(z.object({
  urls: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  username: z.string().optional(),
  credential: z.string().optional(),
}).strict());

/** `visitwire router`: the edge router's HTTP API on its own port. */
export async function runRouter(args: string[]): Promise<void> {
  const o = parseOptions(args, ['regions', 'redis', 'geoip', 'trust-proxy', 'port', 'host', 'default-region', 'ice-servers', 'sticky-km', 'turn-urls']);
  const config = configFromEnv();
  const keys = await verificationKeys(config, 'the router', logger);
  const regionsFile = o.regions ?? fail('router needs --regions FILE (JSON: [{ "id": "eu-west", "lat": 53.35, "lon": -6.26, "tags": ["eu"] }, ...])');
  const redisUrl = redisUrlOption(o.redis, config.redisUrl, 'router');
  const port = portOption(o.port, config.port);
  const host = o.host ?? config.host;
  const regions = await loadRegionsFile(regionsFile).catch((err: Error) => fail(err.message));
  const stickyKm = o['sticky-km'] === undefined ? undefined : Number(o['sticky-km']);
  if (stickyKm !== undefined && !(stickyKm >= 0)) fail(`--sticky-km must be a distance in km, not "${o['sticky-km']}"`);
  const geo = await createGeoLocator({ mmdbPath: o.geoip }).catch((err: Error) => fail(`--geoip ${o.geoip}: ${err.message}`));
  const registry = createRegistry({ redisUrl, prefix: config.redisPrefix });
  const limits = createRateLimits({ settings: config.rateLimits, redisUrl, prefix: config.redisPrefix, logger });

  let handler: http.RequestListener;
  try {
    handler = createEdgeRouter({
      registry, regions, keys, geo, logger, stickyKm, allowedOrigins: config.allowedOrigins, limits,
      trustProxy: (o['trust-proxy'] ?? '').split(',').map((s) => s.trim()).filter(Boolean),
      defaultRegion: o['default-region'] ?? regions[0]!.id,
      iceServers: parseIceServers(o['ice-servers']),
      turn: turnOption(o['turn-urls'], config.turn),
    });
  } catch (err) {
    fail((err as Error).message);
  }
  await registry.listNodes().catch((err: Error) => fail(`cannot reach the registry at ${redisUrl}: ${err.message}`, 1));

  const metricsServer = await startMetricsServer(config.metricsAddr, (message) => logger.warn(message)).catch((err: Error) => fail(err.message, 1));
  let created: ReturnType<typeof createHttpServer>;
  try {
    created = createHttpServer(config.tls, handler, (message) => logger.error(message));
  } catch (err) {
    fail((err as Error).message, 1);
  }
  const { server, scheme } = created;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const { port: actual } = server.address() as AddressInfo;
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${actual}`;
  process.stdout.write(`visitwire router is listening on ${url} (regions: ${regions.map((r) => r.id).join(', ')}; geoip: ${geo.source})\n`);
  process.stdout.write(`metrics for Prometheus: ${metricsServer.url}/metrics\n`);

  const stop = (signal: string) => {
    logger.info({ signal }, 'router stopping');
    server.close();
    server.closeAllConnections();
    Promise.all([registry.close(), limits.close()]).finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function parseIceServers(raw: string | undefined): z.infer<typeof IceServersSchema> {
  if (raw === undefined) return [];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    fail('--ice-servers must be JSON, e.g. \'[{"urls":"stun:stun.example.org:3478"}]\'');
  }
  const parsed = IceServersSchema.safeParse(json);
  if (!parsed.success) fail(`--ice-servers: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`);
  return parsed.data;
}

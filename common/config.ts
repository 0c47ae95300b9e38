import os from 'node:os';
import { z } from 'zod';
import { parseMetricsAddr } from './metrics-server.ts';
import { parseAllowedOrigins, type AllowedOrigins } from './origins.ts';
import type { RateLimitSettings } from './rate-limits.ts';
import { parseTurnUrls, type TurnSettings } from './turn-credentials.ts';
import { policyConfigFromEnv, type PolicyConfig } from '../sfu/policy/config.ts';

/**
 * Settings of one process, from the environment. Every variable is listed in
 * the README's configuration table; defaults make `npm start` work with none.
 */
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  VISITWIRE_SECRET: z.string().min(16, 'VISITWIRE_SECRET must be at least 16 characters').optional(),
  VISITWIRE_JWKS_FILE: z.string().min(1).optional(),
  VISITWIRE_ALLOWED_ORIGINS: z.string().optional().refine((o) => validOrigins(o), 'must be * or comma-separated origins like https://clinic.example'),
  VISITWIRE_LIMIT_CONNECTIONS_PER_MINUTE: z.coerce.number().int().min(1).default(300),
  VISITWIRE_LIMIT_MESSAGES_PER_SECOND: z.coerce.number().int().min(1).default(100),
  VISITWIRE_LIMIT_ROUTES_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  VISITWIRE_TURN_URLS: z.string().optional(),
  VISITWIRE_TURN_SECRET: z.string().min(16, 'VISITWIRE_TURN_SECRET must be at least 16 characters (coturn static-auth-secret)').optional(),
  VISITWIRE_TLS_CERT: z.string().min(1).optional(),
  VISITWIRE_TLS_KEY: z.string().min(1).optional(),
  VISITWIRE_WORKERS: z.coerce.number().int().min(1).max(256).default(os.availableParallelism()),
  VISITWIRE_RTC_LISTEN_IP: z.string().default('127.0.0.1'),
  VISITWIRE_ANNOUNCED_ADDRESS: z.string().optional(),
  VISITWIRE_RTC_PORT: z.coerce.number().int().min(0).max(65535).default(40000),
  VISITWIRE_MAX_PARTICIPANTS: z.coerce.number().int().min(2).max(100).default(10),
  VISITWIRE_RESUME_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(20_000),
  VISITWIRE_DRAIN_TIMEOUT_MS: z.coerce.number().int().min(1000).max(86_400_000).default(120_000),
  VISITWIRE_INITIAL_BITRATE: z.coerce.number().int().min(100_000).default(1_000_000),
  VISITWIRE_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  VISITWIRE_AUDIT_FILE: z.string().optional(),
  VISITWIRE_DEMO: z.enum(['0', '1']).optional(),
  REDIS_URL: z.string().optional(),
  VISITWIRE_REDIS_PREFIX: z.string().min(1).max(64).default('visitwire:'),
  VISITWIRE_METRICS_ADDR: z.string().optional().refine((a) => a === undefined || validMetricsAddr(a), 'must be host:port, e.g. 127.0.0.1:9464'),
  VISITWIRE_CLUSTER_SECRET: z.string().min(32, 'VISITWIRE_CLUSTER_SECRET must be at least 32 characters').optional(),
  VISITWIRE_INTERNAL_ADDR: z.string().optional().refine((a) => a === undefined || validMetricsAddr(a), 'must be host:port, e.g. 10.0.0.7:9470'),
  VISITWIRE_INTERNAL_URL: z.url({ protocol: /^https?$/ }).optional(),
  VISITWIRE_PIPE_ADDRESS: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address the other nodes reach this one at' }).optional(),
});

export interface MediaConfig {
  /** mediasoup workers, one per core by default. */
  workers: number;
  /** Address the WebRtcServers listen on. */
  listenIp: string;
  /** Address given to clients in ICE candidates, when it differs from listenIp (NAT, 0.0.0.0). */
  announcedAddress?: string;
  /** Address other nodes reach this node's pipe transports at (sfu/cascade): default announcedAddress, else listenIp. */
  pipeAddress?: string;
  /** UDP and TCP port of worker 0's WebRtcServer; worker i uses rtcPort + i. 0 = any free port. */
  rtcPort: number;
  /** Send-side bandwidth estimation starts from this (bps). */
  initialAvailableOutgoingBitrate: number;
  /** Nothing waits forever: each request to a worker times out after this. */
  requestTimeoutMs: number;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface Config {
  port: number;
  host: string;
  secret?: string;
  /** Public keys (JWKS file) tokens are verified against; when set, nodes and routers take only key-set tokens. */
  jwksFile?: string;
  /** Browser origins that may use signaling, the router and the SDK bundle: '*' or a list. */
  allowedOrigins: AllowedOrigins;
  /** coturn (use-auth-secret) that clients get short-lived credentials for, in join and route answers. */
  turn?: TurnSettings;
  /** PEM certificate chain and key files: serve HTTPS and WSS (TLS 1.2 or later) instead of HTTP. */
  tls?: TlsFiles;
  /** Per-address and per-connection rate limits (in Redis when a cluster runs). */
  rateLimits: RateLimitSettings;
  media: MediaConfig;
  maxParticipantsPerVisit: number;
  /** How long a participant whose connection dropped keeps its media and may resume; 0 = leave at once. */
  resumeGraceMs: number;
  /** A draining node ends whoever has not moved after this long, and stops. */
  drainTimeoutMs: number;
  /** Layer policy and audio-only fallback (sfu/policy/README.md). */
  policy: PolicyConfig;
  auditFile?: string;
  demo?: boolean;
  /** The cluster registry (`visitwire node`, `router`, `drain`); `--redis` overrides it. */
  redisUrl?: string;
  /** Prefix of every registry key in Redis; lets clusters (or test runs) share one Redis. */
  redisPrefix: string;
  /** `host:port` of the Prometheus endpoint, never the public port; undefined: DEFAULT_METRICS_ADDR (loopback). */
  metricsAddr?: string;
  /** Signs node-to-node (pipe) requests; every node of a cluster has the same one, and a node refuses to start without it. */
  clusterSecret?: string;
  /** `host:port` of the node-to-node API, never the public port; undefined: DEFAULT_INTERNAL_ADDR (loopback, for a one-host cluster). */
  internalAddr?: string;
  /** The node-to-node API as other nodes reach it, when it differs from the listen address (NAT, 0.0.0.0). */
  internalUrl?: string;
}

function validOrigins(raw: string | undefined): boolean {
  try {
    parseAllowedOrigins(raw);
    return true;
  } catch {
    return false;
  }
}

function turnUrlsProblem(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    parseTurnUrls(raw);
    return undefined;
  } catch (err) {
    return `  VISITWIRE_TURN_URLS: ${(err as Error).message}`;
  }
}

function validMetricsAddr(addr: string): boolean {
  try {
    parseMetricsAddr(addr);
    return true;
  } catch {
    return false;
  }
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const problems = [turnUrlsProblem(e.VISITWIRE_TURN_URLS)].filter((p): p is string => p !== undefined);
  if (Boolean(e.VISITWIRE_TURN_URLS) !== Boolean(e.VISITWIRE_TURN_SECRET)) problems.push('  VISITWIRE_TURN_URLS and VISITWIRE_TURN_SECRET go together: set both or neither');
  if (Boolean(e.VISITWIRE_TLS_CERT) !== Boolean(e.VISITWIRE_TLS_KEY)) problems.push('  VISITWIRE_TLS_CERT and VISITWIRE_TLS_KEY go together: set both or neither');
  if (problems.length) throw new Error(`invalid configuration:\n${problems.join('\n')}`);
  return {
    port: e.PORT,
    host: e.HOST,
    secret: e.VISITWIRE_SECRET,
    jwksFile: e.VISITWIRE_JWKS_FILE,
    allowedOrigins: parseAllowedOrigins(e.VISITWIRE_ALLOWED_ORIGINS),
    turn: e.VISITWIRE_TURN_URLS && e.VISITWIRE_TURN_SECRET ? { urls: parseTurnUrls(e.VISITWIRE_TURN_URLS), secret: e.VISITWIRE_TURN_SECRET } : undefined,
    tls: e.VISITWIRE_TLS_CERT && e.VISITWIRE_TLS_KEY ? { certFile: e.VISITWIRE_TLS_CERT, keyFile: e.VISITWIRE_TLS_KEY } : undefined,
    rateLimits: {
      connectionsPerMinute: e.VISITWIRE_LIMIT_CONNECTIONS_PER_MINUTE,
      messagesPerSecond: e.VISITWIRE_LIMIT_MESSAGES_PER_SECOND,
      routesPerMinute: e.VISITWIRE_LIMIT_ROUTES_PER_MINUTE,
    },
    media: {
      workers: e.VISITWIRE_WORKERS,
      listenIp: e.VISITWIRE_RTC_LISTEN_IP,
      announcedAddress: e.VISITWIRE_ANNOUNCED_ADDRESS,
      pipeAddress: e.VISITWIRE_PIPE_ADDRESS,
      rtcPort: e.VISITWIRE_RTC_PORT,
      initialAvailableOutgoingBitrate: e.VISITWIRE_INITIAL_BITRATE,
      requestTimeoutMs: e.VISITWIRE_REQUEST_TIMEOUT_MS,
    },
    maxParticipantsPerVisit: e.VISITWIRE_MAX_PARTICIPANTS,
    resumeGraceMs: e.VISITWIRE_RESUME_GRACE_MS,
    drainTimeoutMs: e.VISITWIRE_DRAIN_TIMEOUT_MS,
    policy: policyConfigFromEnv(env),
    auditFile: e.VISITWIRE_AUDIT_FILE,
    demo: e.VISITWIRE_DEMO === undefined ? undefined : e.VISITWIRE_DEMO === '1',
    redisUrl: e.REDIS_URL || undefined,
    redisPrefix: e.VISITWIRE_REDIS_PREFIX,
    metricsAddr: e.VISITWIRE_METRICS_ADDR,
    clusterSecret: e.VISITWIRE_CLUSTER_SECRET,
    internalAddr: e.VISITWIRE_INTERNAL_ADDR,
    internalUrl: e.VISITWIRE_INTERNAL_URL,
  };
}

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { TlsFiles } from './config.ts';

/** How often the certificate files are checked for a renewal. */
const CERT_CHECK_MS = 10_000;

export interface HttpServer {
  server: http.Server;
  /** `http` or `https`. */
  scheme: 'http' | 'https';
  /** Stops watching the certificate files (the server itself closes as usual). */
  stopWatching(): void;
}

function readTls(tls: TlsFiles): { cert: Buffer; key: Buffer } {
  try {
    return { cert: fs.readFileSync(tls.certFile), key: fs.readFileSync(tls.keyFile) };
  } catch (err) {
    throw new Error(`cannot read the TLS certificate or key (VISITWIRE_TLS_CERT, VISITWIRE_TLS_KEY): ${(err as Error).message}`);
  }
}

/**
 * An HTTP server, or HTTPS (TLS 1.2 or later; socket.io on it serves WSS)
 * when certificate files are given. A renewed certificate (the files change)
 * is taken for new connections without a restart; one that does not load is
 * reported and the previous one kept.
 */
export function createHttpServer(tls: TlsFiles | undefined, handler: http.RequestListener, onReloadError: (message: string) => void = () => undefined): HttpServer {
  if (!tls) return { server: http.createServer(handler), scheme: 'http', stopWatching: () => undefined };
  const server = https.createServer({ ...readTls(tls), minVersion: 'TLSv1.2' }, handler);
  const reload = () => {
    try {
      server.setSecureContext({ ...readTls(tls), minVersion: 'TLSv1.2' });
    } catch (err) {
      onReloadError(`TLS certificate not reloaded, keeping the previous one: ${(err as Error).message}`);
    }
  };
  for (const file of [tls.certFile, tls.keyFile]) fs.watchFile(file, { interval: CERT_CHECK_MS, persistent: false }, reload);
  return {
    server, scheme: 'https',
    stopWatching: () => { for (const file of [tls.certFile, tls.keyFile]) fs.unwatchFile(file, reload); },
  };
}

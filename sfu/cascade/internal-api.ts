import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { ErrorCode, toErrorBody, VisitwireError } from '../../common/errors.ts';
import { parseJson, readBody, sendError } from '../../common/http-json.ts';
import { IdSchema } from '../../common/ids.ts';
import type { Logger } from '../../common/logger.ts';
import { parseMetricsAddr } from '../../common/metrics-server.ts';
import { openBody, sealBody, verifyClusterRequest } from './cluster-auth.ts';
import type { PipeEnd, PipedProducerParams, VisitPipes } from './visit-pipes.ts';

/** Where nodes listen for each other unless VISITWIRE_INTERNAL_ADDR says otherwise: loopback, a fixed port. */
export const DEFAULT_INTERNAL_ADDR = '127.0.0.1:9470';
const MAX_BODY_BYTES = 64 * 1024;

const SrtpSchema = z.strictObject({
  cryptoSuite: z.enum(['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']),
  keyBase64: z.string().min(1).max(256),
});
const Requests = {
  '/internal/v1/pipes': z.strictObject({ visitId: IdSchema, ip: z.string().min(1).max(64), port: z.number().int().min(1).max(65535), srtpParameters: SrtpSchema }),
  '/internal/v1/pipes/consume': z.strictObject({ visitId: IdSchema, producerId: z.string().min(1).max(64) }),
};
type InternalPath = keyof typeof Requests;

/** What the internal API needs from the node: a visit's pipes, when the node holds that visit. */
export interface PipeHost { pipesOf(visitId: string): VisitPipes | undefined }

export interface InternalApi {
  /** e.g. http://127.0.0.1:9470: what other nodes call (the registry records it per visit). */
  url: string;
  close(): Promise<void>;
}

/**
 * The node-to-node API, on its own address (never the public signaling port):
 * another node of the cluster opens a pipe to this node for a visit and pulls
 * producers through it. Every request is signed with the cluster secret
 * (cluster-auth.ts); anything else gets 401 UNAUTHORIZED, a bad body 400.
 * Bodies and answers are sealed with it too: they carry the pipes' SRTP keys.
 */
export async function startInternalApi(o: { addr?: string; publicUrl?: string; secret: string; host: PipeHost; logger: Logger }): Promise<InternalApi> {
  const server = http.createServer((req, res) => void handle(req, res));
  server.requestTimeout = 10_000; // a peer that stalls mid-request is cut off
  server.headersTimeout = 5_000;
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.method !== 'POST' || !Object.hasOwn(Requests, path)) throw new VisitwireError(ErrorCode.NOT_FOUND, 'no such path');
      const body = await readBody(req, MAX_BODY_BYTES);
      const peer = await verifyClusterRequest(o.secret, req.headers.authorization, 'POST', path, body);
      const parsed = Requests[path as InternalPath].safeParse(parseJson(await openBody(o.secret, body)));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new VisitwireError(ErrorCode.BAD_REQUEST, `${issue.path.join('.') || 'body'}: ${issue.message}`);
      }
      const pipes = o.host.pipesOf(parsed.data.visitId);
      if (!pipes) throw new VisitwireError(ErrorCode.NOT_FOUND, 'this node does not hold that visit');
      const answer: PipeEnd | PipedProducerParams = 'producerId' in parsed.data
        ? await pipes.consumeFor(peer, parsed.data.producerId)
        : await pipes.acceptPipe(peer, parsed.data as PipeEnd);
      const sealed = await sealBody(o.secret, JSON.stringify(answer));
      res.writeHead(200, { 'content-type': 'application/jose', 'content-length': Buffer.byteLength(sealed) }).end(sealed);
    } catch (err) {
      const body = toErrorBody(err);
      if (body.code === ErrorCode.UNAUTHORIZED) o.logger.warn({ address: req.socket.remoteAddress, reason: body.message }, 'internal request refused');
      sendError(res, err);
    }
  }
  const listen = (addr: string) => new Promise<void>((resolve, reject) => {
    const { host, port } = parseMetricsAddr(addr);
    server.once('error', (err: NodeJS.ErrnoException) => reject(Object.assign(new Error(`the internal API cannot listen on ${addr} (VISITWIRE_INTERNAL_ADDR): ${err.code ?? err.message}`), { code: err.code })));
    server.listen(port, host, () => resolve());
  });
  let addr = o.addr ?? DEFAULT_INTERNAL_ADDR;
  try {
    await listen(addr);
  } catch (err) {
    // Several nodes on one host (a test or demo cluster): the default port goes to the first; the registry records each node's actual URL.
    if (o.addr !== undefined || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    addr = '127.0.0.1:0';
    await listen(addr);
    o.logger.warn(`${DEFAULT_INTERNAL_ADDR} is taken: the internal API is on port ${(server.address() as AddressInfo).port} (set VISITWIRE_INTERNAL_ADDR to choose)`);
  }
  const { host } = parseMetricsAddr(addr);
  const actual = (server.address() as AddressInfo).port;
  return {
    url: o.publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

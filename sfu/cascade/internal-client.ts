import { ErrorCode, VisitwireError } from '../../common/errors.ts';
import { openBody, sealBody, signClusterRequest } from './cluster-auth.ts';

export interface PeerRequest {
  /** The peer's internal API, e.g. http://10.0.0.7:9470. */
  url: string;
  path: string;
  body: object;
  secret: string;
  /** This node: the signature's issuer. */
  nodeId: string;
  timeoutMs: number;
}

/** A signed, sealed POST to another node's internal API; its error answer becomes a VisitwireError with the peer's code. */
export async function callPeer(r: PeerRequest): Promise<unknown> {
  const body = await sealBody(r.secret, JSON.stringify(r.body));
  const token = await signClusterRequest(r.secret, r.nodeId, 'POST', r.path, body);
  let res: Response;
  try {
    res = await fetch(new URL(r.path, r.url), {
      method: 'POST', body, headers: { 'content-type': 'application/jose', authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(r.timeoutMs),
    });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    throw new VisitwireError(timedOut ? ErrorCode.TIMEOUT : ErrorCode.UNAVAILABLE, `peer ${r.url}${r.path}: ${timedOut ? `no answer in ${r.timeoutMs} ms` : (err as Error).message}`);
  }
  if (!res.ok) {
    const answer = await res.json().catch(() => ({})) as { error?: { code?: string; message?: string } };
    const code = Object.values(ErrorCode).find((c) => c === answer.error?.code) ?? ErrorCode.INTERNAL;
    throw new VisitwireError(code, `peer ${r.url}${r.path} answered ${res.status}: ${answer.error?.message ?? 'no reason'}`);
  }
  const sealed = await res.text().catch((err: Error) => {
    throw new VisitwireError(ErrorCode.UNAVAILABLE, `peer ${r.url}${r.path}: the answer broke off (${err.message})`);
  });
  return JSON.parse(await openBody(r.secret, sealed));
}

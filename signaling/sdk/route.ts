import { VisitError, type VisitErrorCode } from './errors.ts';

export interface Route {
  nodeId: string;
  region: string;
  signalingUrl: string;
  iceServers: RTCIceServer[];
  reason: string;
}

/** The visit id inside a token (its payload is not secret, only signed). */
function visitOf(token: string): string {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const visit = JSON.parse(atob(payload)).visit;
    if (typeof visit === 'string') return visit;
  } catch { /* reported below */ }
  throw new VisitError('UNAUTHORIZED', 'the token is not a visit token', 'route');
}

/** Asks the edge router which node this participant should use; `failedNode`: the node that just failed us, for the router to check and avoid. */
export async function findRoute(routerUrl: string, token: string, timeoutMs: number, failedNode?: string): Promise<Route> {
  const failed = failedNode ? `&failed=${encodeURIComponent(failedNode)}` : '';
  const url = `${routerUrl.replace(/\/+$/, '')}/v1/route?visit=${encodeURIComponent(visitOf(token))}${failed}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    throw new VisitError(timedOut ? 'TIMEOUT' : 'UNAVAILABLE', `edge router ${routerUrl}: ${(err as Error).message}`, 'route');
  }
  const body = await res.json().catch(() => ({})) as Partial<Route> & { error?: { code?: string; message?: string } };
  if (!res.ok || typeof body.signalingUrl !== 'string') {
    const code = (body.error?.code ?? (res.status === 503 ? 'UNAVAILABLE' : 'BAD_REQUEST')) as VisitErrorCode;
    throw new VisitError(code, body.error?.message ?? `edge router answered ${res.status}`, 'route');
  }
  return body as Route;
}

/** Where a participant's signaling goes: straight to a node, or wherever the edge router sends it. */
import { BotError } from './bot/errors.ts';

export type Target = { node: string } | { router: string };

const ROUTE_TIMEOUT_MS = 10_000;

/** The node for this participant, with its id when a router chose it; `failedNode` is reported to the router to be checked and avoided. */
export async function routeTo(target: Target, visitId: string, token: string, failedNode?: string): Promise<{ url: string; nodeId?: string }> {
  if ('node' in target) return { url: target.node };
  const failed = failedNode ? `&failed=${encodeURIComponent(failedNode)}` : '';
  const url = `${target.router}/v1/route?visit=${encodeURIComponent(visitId)}${failed}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(ROUTE_TIMEOUT_MS) });
  } catch (err) {
    throw new BotError('ROUTE_FAILED', `edge router unreachable: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as { signalingUrl?: unknown; nodeId?: unknown; error?: { code?: string; message?: string } };
  if (!res.ok || typeof body.signalingUrl !== 'string') {
    throw new BotError(body.error?.code ?? 'ROUTE_FAILED', `edge router answered ${res.status}: ${body.error?.message ?? 'no signalingUrl'}`);
  }
  return { url: body.signalingUrl.replace(/\/+$/, ''), nodeId: typeof body.nodeId === 'string' ? body.nodeId : undefined };
}

/** Where a participant's signaling goes: straight to a node, or wherever the edge router sends it. */
import { BotError } from './bot/errors.ts';

export type Target = { node: string } | { router: string };

const ROUTE_TIMEOUT_MS = 10_000;

export async function signalingUrl(target: Target, visitId: string, token: string): Promise<string> {
  if ('node' in target) return target.node;
  const url = `${target.router}/v1/route?visit=${encodeURIComponent(visitId)}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(ROUTE_TIMEOUT_MS) });
  } catch (err) {
    throw new BotError('ROUTE_FAILED', `edge router unreachable: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as { signalingUrl?: unknown; error?: { code?: string; message?: string } };
  if (!res.ok || typeof body.signalingUrl !== 'string') {
    throw new BotError(body.error?.code ?? 'ROUTE_FAILED', `edge router answered ${res.status}: ${body.error?.message ?? 'no signalingUrl'}`);
  }
  return body.signalingUrl.replace(/\/+$/, '');
}

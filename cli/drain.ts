import { parseArgs } from 'node:util';
import { configFromEnv } from '../common/config.ts';
import { createRegistry } from '../common/registry/index.ts';
import { fail } from './args.ts';
import { redisUrlOption } from './option-values.ts';

/**
 * `visitwire drain <nodeId|nodeUrl> --token T`: asks a node to drain
 * (`POST /v1/admin/drain`) and prints its status. A node id is looked up in the registry.
 */
export async function runDrain(args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { redis: { type: 'string' }, token: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (err) {
    fail((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) fail('drain needs one node id or node URL: visitwire drain <nodeId|nodeUrl> --token <admin token>');
  const token = values.token ?? process.env.VISITWIRE_ADMIN_TOKEN ?? fail('drain needs an administrator token: --token or VISITWIRE_ADMIN_TOKEN');
  const target = positionals[0]!;
  const nodeUrl = /^https?:\/\//i.test(target) ? target : await lookUpNode(target, values.redis);

  const endpoint = new URL('v1/admin/drain', nodeUrl.endsWith('/') ? nodeUrl : `${nodeUrl}/`);
  let res: Response;
  try {
    res = await fetch(endpoint, { method: 'POST', headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    fail(`cannot reach ${endpoint.origin}: ${(err as Error).message}`, 1);
  }
  const body = await res.text();
  if (!res.ok) fail(`${endpoint.href} answered ${res.status}: ${body}`, 1);
  process.stdout.write(`${JSON.stringify(JSON.parse(body), null, 2)}\n`);
}

async function lookUpNode(nodeId: string, redis: string | undefined): Promise<string> {
  const config = configFromEnv();
  const registry = createRegistry({ redisUrl: redisUrlOption(redis, config.redisUrl, 'drain <nodeId>'), prefix: config.redisPrefix });
  try {
    const node = (await registry.listNodes()).find((n) => n.nodeId === nodeId);
    return node?.signalingUrl ?? fail(`no live node "${nodeId}" in the registry`, 1);
  } catch (err) {
    return fail(`cannot read the registry: ${(err as Error).message}`, 1);
  } finally {
    await registry.close();
  }
}

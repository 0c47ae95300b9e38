import { z } from 'zod';
import { IdSchema } from '../ids.ts';
import type { NodeInfo } from './types.ts';

const Count = z.number().int().min(0);

/** Checks what a node announces; unknown keys (such as `heartbeatAt`) are dropped. */
export const NodeInfoSchema = z.object({
  nodeId: IdSchema,
  region: IdSchema,
  signalingUrl: z.url({ protocol: /^(https?|wss?)$/ }),
  capacity: z.object({ maxVisits: z.number().int().positive() }),
  load: z.object({
    visits: Count, participants: Count, consumers: Count, cpu: z.number().min(0).max(1),
    visitsByNodes: z.record(z.string().regex(/^[1-9]\d{0,2}$/), Count).optional(),
  }),
  draining: z.boolean(),
}) satisfies z.ZodType<NodeInfo>;

export function parseNodeInfo(node: unknown): NodeInfo {
  const result = NodeInfoSchema.safeParse(node);
  if (!result.success) throw new TypeError(`invalid node info: ${z.prettifyError(result.error)}`);
  return result.data;
}

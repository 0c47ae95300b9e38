import type { types } from 'mediasoup';

type TraceType = types.ConsumerTraceEventType;
type TraceData = types.ConsumerTraceEventData;

/** Per consumer: how many listeners want each trace type. */
const wanted = new WeakMap<types.Consumer, Map<TraceType, number>>();

/**
 * Calls `onTrace` with a consumer's trace events of `type` until the returned
 * function is called. mediasoup's `enableTraceEvent` sets a consumer's whole
 * list of trace types, so every user of a consumer's trace events goes through
 * here: one turning its type off leaves the others' on.
 */
export function onConsumerTrace(consumer: types.Consumer, type: TraceType, onTrace: (trace: TraceData) => void): () => void {
  const counts = wanted.get(consumer) ?? new Map<TraceType, number>();
  wanted.set(consumer, counts);
  counts.set(type, (counts.get(type) ?? 0) + 1);
  const listener = (trace: TraceData) => { if (trace.type === type) onTrace(trace); };
  consumer.on('trace', listener);
  enableWanted(consumer, counts);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    consumer.off('trace', listener);
    const left = (counts.get(type) ?? 1) - 1;
    if (left > 0) counts.set(type, left);
    else counts.delete(type);
    enableWanted(consumer, counts);
  };
}

function enableWanted(consumer: types.Consumer, counts: Map<TraceType, number>): void {
  if (!consumer.closed) consumer.enableTraceEvent([...counts.keys()]).catch(() => undefined);
}

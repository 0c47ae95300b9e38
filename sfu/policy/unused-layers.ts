/**
 * Which simulcast encodings a publisher may stop sending because no viewer
 * wants them. A layer is needed while some viewer wants it or a higher one
 * (viewers step down through the layers below); the lowest is needed while
 * anyone subscribes. An unneeded layer stops only after `unusedLayerMs`; a
 * needed one restarts at once.
 */
import { DEFAULT_POLICY, type PolicyConfig } from './config.ts';

export interface UnusedLayersState {
  /** Per layer: whether the publisher was last told to send it. */
  active: boolean[];
  /** Per layer: last time it was needed. */
  lastNeededMs: number[];
}

export interface UnusedLayersInput {
  nowMs: number;
  /** Encodings the producer has. */
  layerCount: number;
  /** Whether any consumer of this producer exists, paused or not. */
  hasSubscribers: boolean;
  /** Every consumer's `wantedSpatialLayer` from chooseLayers (null: wants no video). */
  wantedLayers: readonly (number | null)[];
  /** The `state` of the previous result; undefined on the first call (all layers active). */
  state: UnusedLayersState | undefined;
}

export interface UnusedLayersResult {
  activeLayers: boolean[];
  /** activeLayers differs from the previous call: tell the publisher. */
  changed: boolean;
  state: UnusedLayersState;
}

export function activeLayers(input: UnusedLayersInput, config: PolicyConfig = DEFAULT_POLICY): UnusedLayersResult {
  const { nowMs, layerCount } = input;
  const prev = input.state ?? { active: Array<boolean>(layerCount).fill(true), lastNeededMs: Array<number>(layerCount).fill(nowMs) };
  const highestWanted = Math.max(-1, ...input.wantedLayers.filter((l): l is number => l !== null));
  const active: boolean[] = [];
  const lastNeededMs: number[] = [];
  for (let layer = 0; layer < layerCount; layer++) {
    const needed = input.hasSubscribers && (layer === 0 || layer <= highestWanted);
    const last = needed ? nowMs : (prev.lastNeededMs[layer] ?? nowMs);
    lastNeededMs.push(last);
    active.push(needed || ((prev.active[layer] ?? true) && nowMs - last < config.unusedLayerMs));
  }
  const changed = active.length !== prev.active.length || active.some((a, i) => a !== prev.active[i]);
  return { activeLayers: active, changed, state: { active, lastNeededMs } };
}

/** Steady: no layer is waiting out `unusedLayerMs` (every active layer was needed at `nowMs`, the last call's time). */
export function unusedLayersSteady(state: UnusedLayersState, nowMs: number): boolean {
  return state.active.every((active, layer) => !active || state.lastNeededMs[layer] === nowMs);
}

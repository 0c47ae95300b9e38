import { edgeRouter } from './edge-router.ts';
import { fleet } from './fleet.ts';
import { mediaQuality } from './media-quality.ts';
import { node } from './node.ts';

/** Every dashboard, by the name of its JSON file in grafana/dashboards/. */
export const DASHBOARDS = { fleet, node, 'media-quality': mediaQuality, 'edge-router': edgeRouter };

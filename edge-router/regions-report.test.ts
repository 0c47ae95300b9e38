import { describe, expect, it } from 'vitest';
import { countVisitsByNodes } from './regions-report.ts';
import { node } from './selection/test-fixtures.ts';

const withSpans = (id: string, visitsByNodes?: Record<string, number>) => {
  const n = node(id, 'eu-west');
  return { ...n, load: { ...n.load, visitsByNodes } };
};

describe('countVisitsByNodes', () => {
  it.each<[string, ReturnType<typeof withSpans>[], Record<string, number>]>([
    ['no nodes', [], {}],
    ['nodes that report nothing', [withSpans('a'), withSpans('b')], {}],
    ['visits on one node each', [withSpans('a', { 1: 3 }), withSpans('b', { 1: 2 })], { 1: 5 }],
    ['a visit on two nodes is counted once', [withSpans('a', { 1: 1, 2: 1 }), withSpans('b', { 2: 1 })], { 1: 1, 2: 1 }],
    ['a visit on three nodes', [withSpans('a', { 3: 1 }), withSpans('b', { 3: 1 }), withSpans('c', { 3: 1 })], { 3: 1 }],
    ['a report caught mid-change rounds to the nearest count', [withSpans('a', { 2: 2 }), withSpans('b', { 2: 1 })], { 2: 2 }],
  ])('%s', (_name, nodes, expected) => {
    expect(countVisitsByNodes(nodes)).toEqual(expected);
  });
});

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface LuaScript { lua: string; sha: string }

function script(lua: string): LuaScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Runs a script by SHA, loading it on the first NOSCRIPT. */
export async function runScript(redis: Redis, s: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return redis.eval(s.lua, keys.length, ...keys, ...args);
  }
}

/**
 * KEYS[1] node index set. ARGV[1] key prefix.
 * Returns [json, pttl, ...] of live nodes and drops ids whose node key expired.
 * Node keys are built from ARGV: fine on one Redis, not on Redis Cluster.
 */
export const LIST_NODES = script(`
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. 'node:' .. id
  local json = redis.call('GET', key)
  if json then
    table.insert(out, json)
    table.insert(out, redis.call('PTTL', key))
  else
    redis.call('SREM', KEYS[1], id)
  end
end
return out
`);

/**
 * KEYS[1] visit key. ARGV[1] node id, ARGV[2] ttl ms, ARGV[3] key prefix.
 * Another node's claim stands while that node's key exists (it is live).
 */
export const CLAIM_VISIT = script(`
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. 'node:' .. owner) == 1 then
  return owner
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
`);

/** KEYS[1] visit key. ARGV[1] node id. Deletes the claim only if ARGV[1] holds it. */
export const RELEASE_VISIT = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

/**
 * KEYS[1] visit nodes hash. ARGV[1] key prefix.
 * Returns [nodeId, url, ...] of nodes whose node key exists, and drops the others.
 */
export const LIVE_VISIT_NODES = script(`
local out = {}
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do
  if redis.call('EXISTS', ARGV[1] .. 'node:' .. flat[i]) == 1 then
    table.insert(out, flat[i])
    table.insert(out, flat[i + 1])
  else
    redis.call('HDEL', KEYS[1], flat[i])
  end
end
return out
`);

import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * The Lua scripts that tie the stream to its epoch (see event-id.ts). The epoch lives in a key
 * beside the stream (`<stream>:epoch`) and is valid only while the stream exists: a script that
 * finds no epoch (or something else in its key), or no stream (deleted, flushed, evicted: the key
 * may have survived it), makes a new one before it adds an entry. Reading or making the epoch and adding the entry is one script,
 * so no entry of a new history is ever added under the old epoch, whatever runs in between
 * (a FLUSHDB, another process's publish). Every entry carries its epoch in an `epoch` field.
 *
 * KEYS: the stream, the epoch key. ARGV: 3 random base-36 characters (used when an epoch is
 * made), the trim mode (`~`, `=`, or empty for none) and count of `MAXLEN`, then the entry's fields.
 */
const CURRENT_EPOCH = `
local epoch = redis.call('GET', KEYS[2])
local fresh = false
if (not epoch) or #epoch ~= 14 or string.find(epoch, '[^0-9a-z]') or redis.call('EXISTS', KEYS[1]) == 0 then
  local time = redis.call('TIME')
  local n = tonumber(time[1]) * 1000000 + tonumber(time[2])
  local digits = '0123456789abcdefghijklmnopqrstuvwxyz'
  local text = ''
  for _ = 1, 11 do
    local d = n % 36
    text = string.sub(digits, d + 1, d + 1) .. text
    n = (n - d) / 36
  end
  epoch = text .. ARGV[1]
  fresh = true
  redis.call('SET', KEYS[2], epoch)
end
-- Adds an entry of this epoch with the fields ARGV[from..]; no table is built, the fields are passed on as they are.
local function add(from)
  if ARGV[2] == '' then
    return redis.call('XADD', KEYS[1], '*', 'epoch', epoch, unpack(ARGV, from))
  end
  return redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], ARGV[3], '*', 'epoch', epoch, unpack(ARGV, from))
end
`;

/** Adds the entry under the current epoch (made first if there is none); returns `{epoch, entryId}`. */
const PUBLISH = `${CURRENT_EPOCH}
return { epoch, add(4) }
`;

/**
 * Returns `{epoch, lastGeneratedId}`: the point right after the newest entry of the current epoch.
 * When there is no epoch yet, makes one and adds an entry with only its `epoch` (readers skip it), so
 * that the point exists in the stream: the next publish then continues this epoch.
 */
const CURSOR = `${CURRENT_EPOCH}
if fresh then add(#ARGV + 1) end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then return { epoch, info[i + 1] } end
end
return redis.error_reply('XINFO STREAM has no last-generated-id')
`;

/** A script run with EVALSHA, falling back to EVAL when Redis does not have it cached. */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  run(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return client.evalsha(this.sha, keys.length, ...keys, ...args).catch((error: Error) => {
      if (!/NOSCRIPT/.test(error.message)) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    });
  }

  /** Caches the script on the server, so that publishes sent after it never need the fallback. */
  load(client: Redis): Promise<unknown> {
    return client.script("LOAD", this.source);
  }
}

export const publishScript = new LuaScript(PUBLISH);
export const cursorScript = new LuaScript(CURSOR);

/** The key beside `stream` that holds its epoch. */
export function epochKey(stream: string): string {
  return `${stream}:epoch`;
}

/** The random part of an epoch the script may make (sent with every publish): two epochs of one microsecond still differ. */
export function epochSuffix(): string {
  return Math.floor(Math.random() * 36 ** 3)
    .toString(36)
    .padStart(3, "0");
}

/**
 * Detects a dead connection the transport cannot see (a half-open TCP connection, a proxy that
 * swallowed the close, a server that froze): the server sends something at least every
 * heartbeat (SSE `: keepalive` comments; on WebSocket the client asks with `ping` actions,
 * because browsers cannot see protocol pings), so silence past `timeoutMs` means dead.
 *
 * `touch()` only records a time: a busy stream costs no timer work per message.
 */
export interface LivenessMonitor {
  /** Something arrived. */
  touch(): void;
  stop(): void;
}

export interface LivenessOptions {
  /** After this much silence `onIdle` runs (then again every `intervalMs` of silence). */
  intervalMs: number;
  /** After this much silence `onDead` runs, once, and the monitor stops. */
  timeoutMs: number;
  /** Asks the server for a sign of life (WebSocket: a `ping` action). Optional. */
  onIdle?: (() => void) | undefined;
  onDead: () => void;
  now?: () => number;
}

export function startLivenessMonitor(options: LivenessOptions): LivenessMonitor {
  const now = options.now ?? Date.now;
  const { intervalMs, timeoutMs, onIdle, onDead } = options;
  let lastActivity = now();
  let lastPing = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const schedule = (): void => {
    if (stopped) return;
    const at = now();
    const deadIn = lastActivity + timeoutMs - at;
    const pingIn = onIdle === undefined ? Infinity : Math.max(lastActivity, lastPing) + intervalMs - at;
    timer = setTimeout(check, Math.max(0, Math.min(deadIn, pingIn)));
  };

  const check = (): void => {
    timer = undefined;
    const silent = now() - lastActivity;
    if (silent >= timeoutMs) {
      stopped = true;
      onDead();
      return;
    }
    if (onIdle !== undefined && now() - Math.max(lastActivity, lastPing) >= intervalMs) {
      lastPing = now();
      onIdle();
    }
    schedule();
  };

  schedule();
  return {
    touch() {
      lastActivity = now();
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** How one event looks in a terminal: time, name (colored by its prefix), session, the other fields. */

const palette = [36, 33, 35, 32, 34, 91, 96, 93];
const paint = (code: number, text: string, color: boolean) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);

function colorOf(name: string): number {
  const prefix = name.split(".")[0] ?? name;
  let hash = 0;
  for (const char of prefix) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return palette[hash % palette.length]!;
}

function time(now: Date): string {
  return now.toISOString().slice(11, 23);
}

/**
 * `12:03:04.123  bot.word  CA_1001  word="hello" index=3`: strings quoted, other values as JSON,
 * `id` and the session left out of the fields (the session is its own column).
 */
export function formatEvent(event: Record<string, unknown>, options: { color: boolean; sessionKeys?: readonly string[]; now?: Date }): string {
  const name = String(event.event);
  const sessionKeys = options.sessionKeys ?? ["sessionId", "callId", "session"];
  const sessionKey = sessionKeys.find((key) => typeof event[key] === "string");
  const fields = Object.entries(event)
    .filter(([key]) => key !== "event" && key !== "id" && key !== sessionKey)
    .map(([key, value]) => `${paint(2, `${key}=`, options.color)}${JSON.stringify(value)}`);
  const session = sessionKey === undefined ? "" : `${paint(1, String(event[sessionKey]), options.color)}  `;
  return `${paint(2, time(options.now ?? new Date()), options.color)}  ${paint(colorOf(name), name, options.color)}  ${session}${fields.join(" ")}`.trimEnd();
}

/** A line about the connection itself (connected, reconnecting, a gap), on stderr. */
export function formatNotice(text: string, options: { color: boolean; now?: Date }): string {
  return `${paint(2, time(options.now ?? new Date()), options.color)}  ${paint(90, `-- ${text}`, options.color)}`;
}

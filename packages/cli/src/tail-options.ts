import { parseArgs } from "node:util";

/** What `eventwire tail` was asked for. */
export interface TailOptions {
  url: string;
  transport: "sse" | "websocket";
  session?: string;
  events?: string[];
  include?: string[];
  headers: Record<string, string>;
  /**
   * Where the first connection starts: `"live"` (from now on), `"earliest"` (every event the server
   * still retains, oldest first, then live) or an event id to resume after (docs/protocol.md#resume).
   */
  from: "live" | "earliest" | { after: string };
  /** One JSON object per line instead of the readable, colored form. */
  json: boolean;
  color: boolean;
}

export const usage = `Usage: eventwire tail <url> [options]

Prints a live Eventwire stream, reconnecting and resuming from the last event after a disconnect.

Options:
  --session <id>                 only this session's events
  --events <names>               only these names or prefixes, comma-separated (call.*,bot.word)
  --include <names>              opt-in events to receive too (llm.tool_result)
  --transport <sse|websocket>    default: sse
  --from <earliest|live|id>      where to start: earliest (everything the server still retains,
                                 then live), live (default), or after an event id
  --header <Name: value>         a request header, e.g. "Authorization: Bearer ..." (repeatable)
  --json                         one JSON object per line (for jq), no colors
  --no-color                     no colors (also when NO_COLOR is set or stdout is not a terminal)
  -h, --help                     this text`;

/** Reads `eventwire tail`'s arguments; throws an Error whose message says what is wrong. */
export function readTailOptions(argv: readonly string[], env: NodeJS.ProcessEnv = {}, isTTY = false): TailOptions {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      session: { type: "string" },
      events: { type: "string" },
      include: { type: "string" },
      transport: { type: "string", default: "sse" },
      from: { type: "string", default: "live" },
      header: { type: "string", multiple: true, default: [] },
      json: { type: "boolean", default: false },
      "no-color": { type: "boolean", default: false },
    },
  });
  const [command, url, ...rest] = positionals;
  if (command !== "tail") throw new Error(command === undefined ? "missing command: tail" : `unknown command "${command}"`);
  if (url === undefined) throw new Error("missing <url>, e.g. http://localhost:3000/events");
  if (rest.length > 0) throw new Error(`unexpected argument "${rest[0]}"`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a URL: "${url}"`);
  }
  if (!/^(https?|wss?):$/.test(parsed.protocol)) throw new Error(`the URL must be http(s) or ws(s), got ${parsed.protocol}`);
  const transport = values.transport;
  if (transport !== "sse" && transport !== "websocket") throw new Error(`--transport takes sse or websocket, got "${transport}"`);
  const from = values.from;
  if (from.trim() === "") throw new Error('--from takes earliest, live or an event id, got ""');
  const headers: Record<string, string> = {};
  for (const header of values.header) {
    const colon = header.indexOf(":");
    if (colon <= 0) throw new Error(`--header takes "Name: value", got "${header}"`);
    headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
  }
  const list = (value: string | undefined) => (value === undefined ? undefined : value.split(",").map((name) => name.trim()).filter(Boolean));
  return {
    url,
    transport,
    session: values.session,
    events: list(values.events),
    include: list(values.include),
    headers,
    from: from === "live" || from === "earliest" ? from : { after: from },
    json: values.json,
    color: !values.json && !values["no-color"] && env.NO_COLOR === undefined && (isTTY || env.FORCE_COLOR !== undefined),
  };
}

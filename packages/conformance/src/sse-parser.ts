/**
 * An SSE parser written from the WHATWG "Server-sent events" parsing rules, independent of core's
 * encoder, so the suite checks the bytes rather than trusting the code that wrote them.
 */
export interface ParsedSseEvent {
  /** The `id:` field of this event, if it had one. */
  id: string | undefined;
  /** The `event:` field, if any. */
  type: string | undefined;
  data: string;
}

export class SseParser {
  #buffer = "";
  #data: string[] = [];
  #id: string | undefined;
  #type: string | undefined;
  #sawField = false;
  readonly events: ParsedSseEvent[] = [];
  readonly comments: string[] = [];
  readonly retries: number[] = [];

  push(text: string): void {
    this.#buffer += text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      // A lone CR at the end may be the first half of a CRLF: wait for more.
      if (!match || (match[0] === "\r" && match.index === this.#buffer.length - 1)) return;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      this.#line(line);
    }
  }

  #line(line: string): void {
    if (line === "") {
      if (this.#data.length > 0) this.events.push({ id: this.#id, type: this.#type, data: this.#data.join("\n") });
      this.#data = [];
      this.#id = undefined;
      this.#type = undefined;
      this.#sawField = false;
      return;
    }
    if (line.startsWith(":")) {
      this.comments.push(line.slice(1).replace(/^ /, ""));
      return;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    this.#sawField = true;
    if (field === "data") this.#data.push(value);
    else if (field === "id") this.#id = value;
    else if (field === "event") this.#type = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retries.push(Number(value));
  }

  /** True when bytes of an unfinished event are waiting for their blank line. */
  get midEvent(): boolean {
    return this.#sawField || this.#buffer !== "";
  }
}

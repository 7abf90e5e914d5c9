/** Small text helpers of the dashboard. */

/** `+14155550101` → `+1 415 555 0101`, for the country codes the demo calls come from. */
export function formatPhone(number: string): string {
  const groups: Array<[prefix: string, sizes: number[]]> = [
    ["+1", [3, 3, 4]],
    ["+44", [4, 6]],
    ["+34", [3, 3, 3]],
  ];
  for (const [prefix, sizes] of groups) {
    const rest = number.slice(prefix.length);
    if (!number.startsWith(prefix) || rest.length !== sizes.reduce((a, b) => a + b, 0)) continue;
    const parts: string[] = [];
    let at = 0;
    for (const size of sizes) parts.push(rest.slice(at, (at += size)));
    return `${prefix} ${parts.join(" ")}`;
  }
  return number;
}

/** `{ location: "Lisbon", day: "tomorrow" }` → `location: "Lisbon", day: "tomorrow"`. */
export function formatFields(value: unknown): string {
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  return Object.entries(value)
    .map(([key, field]) => `${key}: ${JSON.stringify(field)}`)
    .join(", ");
}

/** `3240` → `3.2 s`. */
export function formatDuration(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** The time of day with milliseconds, for the event feed. */
export function formatClock(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** Creates an element with a class and optional text. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

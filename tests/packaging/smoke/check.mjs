// Shared by the smoke scripts: read the first event of an SSE stream and of a WebSocket.
import WebSocket from "ws";

/** Resolves to the first `data:` JSON of an SSE stream at `url`, calling `publish` once it is open. */
export async function firstSseEvent(url, publish) {
  const response = await fetch(url, { headers: { accept: "text/event-stream" } });
  if (response.status !== 200) throw new Error(`SSE ${url} answered ${response.status}`);
  if (!response.headers.get("content-type")?.startsWith("text/event-stream")) throw new Error("not an event stream");
  const reader = response.body.getReader();
  await publish();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("stream ended before an event");
    text += Buffer.from(value).toString();
    const match = /^data: (.*)$/m.exec(text);
    if (match) {
      await reader.cancel();
      return JSON.parse(match[1]);
    }
  }
}

/**
 * Resolves to the first event (a message with an id) of a WebSocket at `url`, publishing once the
 * hub has answered a ping; it also waits for `publish` to settle, so nothing is left in flight.
 */
export function firstWsEvent(url, publish) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    let published;
    socket.on("error", reject);
    socket.on("open", () => socket.send(JSON.stringify({ action: "ping" })));
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString());
      if (message.event === "pong") {
        published = publish();
        return;
      }
      socket.close();
      published.then(() => resolve(message), reject);
    });
  });
}

/**
 * Checks both transports against one events URL; `publish` is a hub's publish, or a request to an
 * app that publishes. Prints what a reader can verify.
 */
export async function checkBothTransports(name, url, publish) {
  const sse = await firstSseEvent(url, () => publish({ event: "smoke.sse", sessionId: "S1" }));
  const ws = await firstWsEvent(url.replace(/^http/, "ws"), () => publish({ event: "smoke.ws", sessionId: "S1" }));
  if (sse.event !== "smoke.sse" || typeof sse.id !== "string") throw new Error(`${name}: bad SSE event ${JSON.stringify(sse)}`);
  if (ws.event !== "smoke.ws" || typeof ws.id !== "string") throw new Error(`${name}: bad WebSocket event ${JSON.stringify(ws)}`);
  console.log(`${name}: ok ${sse.event} ${ws.event}`);
}

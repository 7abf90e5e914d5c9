import type { ClientScope } from "@eventwire/conformance";
import WebSocket from "ws";

/** How a WebSocket attempt ends: "open", or how it failed before opening (Next may drop it). */
export function attemptWebSocket(scope: ClientScope, url: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    scope.defer(() => socket.terminate());
    socket.once("open", () => resolve("open"));
    socket.once("unexpected-response", (_request, response) => resolve(`refused ${response.statusCode}`));
    socket.once("error", (error) => resolve(`failed: ${error.message}`));
  });
}

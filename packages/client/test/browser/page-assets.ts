import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join, normalize } from "node:path";
import { packageDir } from "../helpers/build-client.js";
import { commonJsAsEsm, reexport } from "../helpers/common-js-as-esm.js";

/**
 * What the browser test's server serves besides `/events`: two pages, the client as tsc built it
 * (`/client/*.js`), and its dependencies under `/vendor/`, wired with an import map: plain ES
 * modules, no bundler.
 */

const importMap = {
  imports: {
    "eventsource-parser": "/vendor/eventsource-parser.js",
    react: "/vendor/react.js",
    "react-dom/client": "/vendor/react-dom-client.js",
  },
};

const page = (script: string) => `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>Eventwire client test</title>
<script type="importmap">${JSON.stringify(importMap)}</script>
<script type="module" src="${script}"></script>
</head>
<body><div id="root"></div></body>
</html>
`;

/**
 * `/` : one stream per transport in `?transports=` (default both), each rendering its `tick`
 * events as list items and its status; `?share=1` sets shareAcrossTabs, `?throwing=1` adds a
 * listener that throws, `initialDelayMs` / `maxDelayMs` tune the backoff.
 */
const app = `
import { createEventStream } from "/client/index.js";

const params = new URLSearchParams(location.search);
const transports = (params.get("transports") ?? "websocket,sse").split(",");
window.streams = {};
window.errors = [];
window.addEventListener("error", (event) => window.errors.push(String(event.message)));
for (const transport of transports) {
  const section = document.createElement("section");
  section.id = transport;
  section.innerHTML = '<h2>' + transport + ' <span class="status">idle</span></h2><ol class="events"></ol>';
  document.body.append(section);
  const stream = createEventStream({
    url: "/events",
    transport,
    shareAcrossTabs: params.get("share") === "1",
    reconnect: { initialDelayMs: Number(params.get("initialDelayMs") ?? 50), maxDelayMs: Number(params.get("maxDelayMs") ?? 500) },
  });
  stream.onStatus((status) => (section.querySelector(".status").textContent = status));
  if (params.get("throwing") === "1") {
    stream.on("tick", () => {
      throw new Error("listener bug");
    });
  }
  stream.on("tick", (e) => {
    const item = document.createElement("li");
    item.textContent = String(e.n);
    section.querySelector("ol").append(item);
  });
  window.streams[transport] = stream;
}
`;

/** \`/react.html\`: the seeds' live call monitor, on useEventStream, once per transport, in StrictMode. */
const reactApp = `
import { createElement as h, StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { useEventStream } from "/client/react.js";

window.reductions = 0;

function CallMonitor({ transport }) {
  const { state: calls, status } = useEventStream(
    { url: "/events", transport, events: ["call.*", "bot.word"] },
    (calls, e) => {
      window.reductions++;
      switch (e.event) {
        case "call.started":
          return { ...calls, [e.callId]: { from: e.from, words: [] } };
        case "bot.word": {
          const call = calls[e.callId];
          return call ? { ...calls, [e.callId]: { ...call, words: [...call.words, e.word] } } : calls;
        }
        case "call.ended": {
          const { [e.callId]: _ended, ...rest } = calls;
          return rest;
        }
        default:
          return calls;
      }
    },
    {},
  );
  return h(
    "section",
    { id: transport },
    h("h2", null, "Active calls (" + Object.keys(calls).length + ") ", h("span", { className: "status" }, status)),
    Object.entries(calls).map(([id, call]) => h("p", { key: id, className: "call" }, id + " " + call.from + ": " + call.words.join(" "))),
  );
}

createRoot(document.getElementById("root")).render(
  h(StrictMode, null, h(CallMonitor, { transport: "websocket" }), h(CallMonitor, { transport: "sse" })),
);
`;

export function createPageAssets(clientDist: string): (request: IncomingMessage, response: ServerResponse) => void {
  const require = createRequire(`${packageDir}/package.json`);
  const vendorCommonJs = commonJsAsEsm({ react: "react", reactDomClient: "react-dom/client" });
  const files = new Map<string, string>([
    ["/", page("/app.js")],
    ["/react.html", page("/react-app.js")],
    ["/app.js", app],
    ["/react-app.js", reactApp],
    ["/vendor/cjs.js", vendorCommonJs],
    ["/vendor/react.js", reexport("/vendor/cjs.js", "react", "react")],
    ["/vendor/react-dom-client.js", reexport("/vendor/cjs.js", "reactDomClient", "react-dom/client")],
  ]);
  // The package's ES module build (require.resolve would give its CommonJS one).
  const eventsourceParser = join(dirname(require.resolve("eventsource-parser/package.json")), "dist/index.js");

  return (request, response) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    const send = (body: string) =>
      response
        .writeHead(200, {
          "content-type": path.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/html; charset=utf-8",
          "cache-control": "no-store",
        })
        .end(body);
    const known = files.get(path);
    if (known !== undefined) return send(known);
    if (path === "/vendor/eventsource-parser.js") {
      void readFile(eventsourceParser, "utf8").then(send);
      return;
    }
    if (path.startsWith("/client/") && path.endsWith(".js")) {
      const file = normalize(join(clientDist, path.slice("/client/".length)));
      if (file.startsWith(clientDist)) {
        readFile(file, "utf8").then(send, () => response.writeHead(404).end());
        return;
      }
    }
    response.writeHead(404).end();
  };
}

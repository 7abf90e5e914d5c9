import type { EventStreamOptions, StreamStatus } from "@eventwire/client";
import { useEventStream } from "@eventwire/client/react";
import { attach } from "@eventwire/next-pages";
import type { GetServerSideProps } from "next";
import Head from "next/head";
import { useState } from "react";
import type { Server } from "node:http";
import type { AgentEvents } from "../lib/agent-events";
import { callHub, callsAndCursor } from "../lib/call-hub";
import { formatFields, reduceCalls, type Call, type Calls } from "../lib/calls";

type Transport = "websocket" | "sse";

interface Props {
  /** The calls as the server rendered them. */
  calls: Calls;
  /** The hub's newest id when they were rendered: the stream continues right after it (docs/protocol.md#resume). */
  cursor: string;
}

export default function LiveCalls({ calls: rendered, cursor }: Props) {
  const [transport, setTransport] = useState<Transport>("websocket");
  const [session, setSession] = useState<string | undefined>(undefined);

  // The page shows the calls the server rendered, and its stream continues from the moment of
  // rendering: every event after `cursor`, none before. A new transport or session reopens the
  // stream; the state starts over from the rendered calls and resumes from `cursor` again.
  const options: EventStreamOptions<AgentEvents> = {
    url: "/api/events",
    transport,
    session,
    include: ["llm.tool_result"],
    lastEventId: cursor,
    reconnect: { initialDelayMs: 250, maxDelayMs: 3_000 },
  };
  const { state: calls, status } = useEventStream<AgentEvents, Call[]>(options, reduceCalls, rendered);
  const shown = session === undefined ? calls : calls.filter((call) => call.callId === session);

  return (
    <>
      <Head>
        <title>Live calls · Eventwire on Next.js</title>
        <link rel="icon" href="data:," />
      </Head>
      <header className="topbar">
        <div>
          <h1>Live calls</h1>
          <p className="subtitle">
            Next.js Pages router · <code>pages/api/events.ts</code> · <code>useEventStream</code>
          </p>
        </div>
        <div className="controls">
          <div className="switch" role="group" aria-label="Transport">
            {(["websocket", "sse"] as const).map((name) => (
              <button key={name} type="button" data-transport={name} aria-pressed={transport === name} onClick={() => setTransport(name)}>
                {name === "websocket" ? "WebSocket" : "SSE"}
              </button>
            ))}
          </div>
          <StatusBadge status={status} />
        </div>
      </header>
      <main>
        <div className="section-head">
          <h2>{session === undefined ? `${calls.filter((call) => call.live).length} live calls` : `Call ${session}`}</h2>
          {session === undefined ? (
            <p className="hint">Click a call to watch it alone.</p>
          ) : (
            <button type="button" className="back" onClick={() => setSession(undefined)}>
              ← All calls
            </button>
          )}
        </div>
        <div className="calls">
          {shown.length === 0 && <p className="empty">Waiting for calls…</p>}
          {shown.map((call) => (
            <CallCard key={call.callId} call={call} onSelect={() => setSession(call.callId)} />
          ))}
        </div>
      </main>
    </>
  );
}

function StatusBadge({ status }: { status: StreamStatus }) {
  const label = status === "idle" ? "connecting" : status;
  return (
    <span className="badge" data-status={label} role="status">
      <i className="dot" />
      {label}
    </span>
  );
}

function CallCard({ call, onSelect }: { call: Call; onSelect: () => void }) {
  return (
    <article className="call" data-call-id={call.callId} data-state={call.live ? "live" : "ended"} onClick={onSelect}>
      <header>
        <span className="avatar" data-agent={call.agent}>
          {call.agent.slice(0, 1).toUpperCase()}
        </span>
        <div className="who">
          <strong>{call.agent}</strong> <code>{call.callId}</code>
          <span className="route">{call.from}</span>
        </div>
        <span className="pill">{call.live ? "Live" : "Ended"}</span>
      </header>
      <ol className="transcript">
        {call.lines.map((line, index) => {
          if (line.kind === "caller") return <li key={index} className="line caller">{line.text}</li>;
          if (line.kind === "tool") {
            return (
              <li key={index} className="tool">
                <code className="tool-name">{line.name}</code> <code className="args">{formatFields(line.args)}</code>
                <div className={line.answered ? "result" : "result pending"}>→ {line.answered ? formatFields(line.result) : "running…"}</div>
              </li>
            );
          }
          return (
            <li key={index} className="line bot" data-turn={line.turn}>
              {line.words.join(" ")}
            </li>
          );
        })}
      </ol>
      {call.ending && (
        <footer>
          {call.ending.reason.replace(/_/g, " ")} · {(call.ending.durationMs / 1000).toFixed(1)} s
        </footer>
      )}
    </article>
  );
}

/**
 * Renders the calls so far, and hands the page the hub's cursor to continue from
 * (`callsAndCursor` says why the two match). Next hands no WebSocket upgrade to an API route:
 * pages/api/events claims its path on the Node server the first time it serves a request.
 * Rendering this page claims it too, so the page's very first WebSocket works on a freshly started server.
 */
export const getServerSideProps: GetServerSideProps<Props> = async ({ res }) => {
  const server = (res.socket as { server?: Server } | null)?.server;
  if (server && !claimed.has(server)) {
    claimed.add(server);
    attach(server, callHub, { path: "/api/events" });
  }
  return { props: await callsAndCursor() };
};

const claimed = new WeakSet<Server>();

"use client";

import type { EventStreamOptions, StreamStatus } from "@eventwire/client";
import { useEventStream } from "@eventwire/client/react";
import type { AgentEvents } from "../lib/agent-events";
import { noCalls, reduceCalls, type Call } from "../lib/calls";

/**
 * The stream of app/api/events/route.ts: SSE, the one transport a route handler serves. It starts
 * from the earliest event the hub retains (docs/protocol.md#resume), so calls already in progress
 * show whole, then resumes after its last event on every reconnect.
 */
const options: EventStreamOptions<AgentEvents> = {
  url: "/api/events",
  transport: "sse",
  include: ["llm.tool_result"],
  from: "earliest",
  reconnect: { initialDelayMs: 250, maxDelayMs: 3_000 },
};

export function LiveCalls() {
  const { state: calls, status } = useEventStream<AgentEvents, Call[]>(options, reduceCalls, noCalls);
  return (
    <>
      <header className="topbar">
        <div>
          <h1>Live calls</h1>
          <p className="subtitle">
            Next.js App router · <code>app/api/events/route.ts</code> · <code>useEventStream</code> over SSE
          </p>
        </div>
        <StatusBadge status={status} />
      </header>
      <main>
        <h2>{calls.filter((call) => call.live).length} live calls</h2>
        <div className="calls">
          {calls.length === 0 && <p className="empty">Waiting for calls…</p>}
          {calls.map((call) => (
            <CallCard key={call.callId} call={call} />
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

function CallCard({ call }: { call: Call }) {
  return (
    <article className="call" data-call-id={call.callId} data-state={call.live ? "live" : "ended"}>
      <header>
        <strong className="agent">{call.agent}</strong> <code>{call.callId}</code>
        <span className="route">{call.from}</span>
        <span className="pill">{call.live ? "Live" : "Ended"}</span>
      </header>
      <ol className="transcript">
        {call.lines.map((line, index) => {
          if (line.kind === "caller") return <li key={index} className="line caller">{line.text}</li>;
          if (line.kind === "tool") {
            return (
              <li key={index} className="tool">
                <code className="tool-name">{line.name}</code>{" "}
                <span className={line.answered ? "result" : "result pending"}>→ {line.answered ? JSON.stringify(line.result) : "running…"}</span>
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
    </article>
  );
}

import { LiveCalls } from "./live-calls";

// A server component around the client one: the stream is opened in the browser.
export default function Home() {
  return <LiveCalls />;
}

import { startNextInProcess, type InProcessNext } from "@eventwire/conformance/next";
import { fixtureDir } from "./build-fixture.js";

export type RunningNext = InProcessNext;

/** The fixture app in this process (so it shares `globalThis` with the test), built or in dev, on `port` (0: a free one). */
export function startNext(dev: boolean, port = 0): Promise<RunningNext> {
  return startNextInProcess(fixtureDir, dev, port);
}

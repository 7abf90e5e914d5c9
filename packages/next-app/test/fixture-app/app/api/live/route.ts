import { eventwire } from "@eventwire/next-app";
import { counters, liveHub } from "../../../lib/live-hub";

counters.evaluated++;

export const { GET, OPTIONS } = eventwire(liveHub());

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

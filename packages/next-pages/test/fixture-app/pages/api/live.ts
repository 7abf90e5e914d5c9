import { eventwire } from "@eventwire/next-pages";
import { counters, liveHub } from "../../lib/live-hub";

counters.evaluated++;

export default eventwire(liveHub());

export const config = { api: { bodyParser: false, responseLimit: false } };

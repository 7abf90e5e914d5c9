import { liveHub } from "../../../lib/live-hub";

/** Publishes the JSON body on the live hub, as an app's own route would; answers with the event's id. */
export async function POST(request: Request): Promise<Response> {
  return Response.json({ id: await liveHub().publish(await request.json()) });
}

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

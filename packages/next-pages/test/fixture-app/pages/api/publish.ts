import type { NextApiRequest, NextApiResponse } from "next";
import { liveHub } from "../../lib/live-hub";

/** Publishes the JSON body on the live hub, as an app's own route would; answers with the event's id. */
export default async function publish(request: NextApiRequest, response: NextApiResponse): Promise<void> {
  if (request.method !== "POST") return void response.status(405).end();
  response.status(200).json({ id: await liveHub().publish(request.body) });
}

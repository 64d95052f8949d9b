import { serve } from "inngest/next";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest/functions";
import { definePublicRoute, withBody } from "@/lib/entry/public-route";

/** Inngest's run requests carry the steps' memoised state; its own limit on a run's state is 32 MiB. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

// Inngest calls this endpoint to sync the functions and to run their steps (signed requests;
// INNGEST_SIGNING_KEY in production, INNGEST_DEV=1 against a dev server). The signature is checked
// by Inngest's handler after the bounded read; it is not limited per IP, because Inngest is the
// send engine's own scheduler and throttling it would throttle sending.
const handlers = serve({ client: inngest, functions });

function passThrough(handler: typeof handlers.POST) {
  return definePublicRoute({
    maxBodyBytes: MAX_BODY_BYTES,
    perIpLimit: false,
    handle: async ({ request, body }) => handler(withBody(request, await body()), undefined),
  });
}

export const GET = passThrough(handlers.GET);
export const POST = passThrough(handlers.POST);
export const PUT = passThrough(handlers.PUT);

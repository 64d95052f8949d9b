import { serve } from "inngest/next";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest/functions";

// Inngest calls this endpoint to sync the functions and to run their steps (signed requests;
// INNGEST_SIGNING_KEY in production, INNGEST_DEV=1 against a dev server).
export const { GET, POST, PUT } = serve({ client: inngest, functions });

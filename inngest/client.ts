import { Inngest } from "inngest";

/**
 * Fanout's Inngest client. Sending functions (inngest/functions/, thin wrappers over
 * lib/sending) run under Inngest when INNGEST_EVENT_KEY or INNGEST_DEV is set, and under the
 * in-process runner otherwise.
 */
export const inngest = new Inngest({ id: "fanout" });


/**
 * The web server's boot (lib/server/boot.ts bootServer, as instrumentation.ts calls it) without the
 * HTTP server, as a test child: the database it opens (the embedded one, owned and served on its
 * socket, or DATABASE_URL), the in-process send runner heartbeating as kind "web", the webhook
 * runner and the housekeeping timers, all from the environment. It waits for "go" on standard
 * input and exits when that closes (child-gate.ts), so it never outlives the test.
 */
import { inngestImportDriver, inngestTaskNotifier } from "@/inngest/notifier";
import { bootServer } from "@/lib/server/boot";
import { waitForGo } from "./child-gate";

await waitForGo();
console.log(`[boot-child] pid ${process.pid}`);
await bootServer({ inngestNotifier: inngestTaskNotifier, inngestImportDriver });

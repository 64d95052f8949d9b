/**
 * `npm run worker` (scripts/worker.ts) as a test child: it waits for "go" on standard input and exits
 * when that closes (child-gate.ts), so it never outlives the test, and then runs the script itself,
 * unchanged, with the environment the test gave it.
 */
import { waitForGo } from "./child-gate";

await waitForGo();
await import("../../scripts/worker");

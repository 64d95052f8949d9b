import type { Database } from "@/db/client";
import { runImport } from "@/lib/pools/import-jobs";
import { inngest } from "../client";
import { importStartedEvent } from "../events";

/** Enough steps for a file far beyond the largest import allowed, at any step length. */
const MAX_STEPS = 900;

/**
 * A started import as a chain of steps, each running it for about `budgetMs` (lib/pools/import-jobs.ts
 * runImport) and committing what it read, so no step outlives a serverless host's time limit and a
 * failed step is retried from the last line recorded, never twice over a line. One run per import.
 */
export function importFileFunction(database: () => Promise<Database>, budgetMs: number) {
  return inngest.createFunction(
    { id: "import-file", name: "Import an uploaded file", triggers: [importStartedEvent], concurrency: { key: "event.data.importId", limit: 1 } },
    async ({ event, step }) => {
      const { importId } = event.data;
      for (let n = 0; n < MAX_STEPS; n++) {
        const outcome = await step.run(`import-${n}`, async () => runImport(await database(), importId, { budgetMs }));
        if (outcome !== "more") return { importId, outcome, steps: n + 1 };
      }
      return { importId, outcome: "more", steps: MAX_STEPS };
    },
  );
}

/**
 * Who runs a started import. By default the process that started it, in the background
 * (lib/pools/import-jobs.ts runImport); under Inngest (installed at boot), a durable function of
 * time-bounded steps (inngest/functions/import-file.ts), because a serverless request that started
 * it ends long before a large file is read.
 */
export type ImportDriver = { importStarted: (importId: string) => Promise<void> };

// On globalThis, like the task dispatch: instrumentation and route handlers may load this module apart.
const registry = globalThis as typeof globalThis & { __fanoutImportDispatch?: { driver?: ImportDriver } };
const dispatch = (registry.__fanoutImportDispatch ??= {});

/** Installs the driver (undefined: back to running imports in-process). */
export function setImportDriver(driver: ImportDriver | undefined): void {
  dispatch.driver = driver;
}

/** Hands a started import to the installed driver; false when there is none and the caller runs it itself. */
export async function handOffImport(importId: string): Promise<boolean> {
  if (!dispatch.driver) return false;
  await dispatch.driver.importStarted(importId);
  return true;
}

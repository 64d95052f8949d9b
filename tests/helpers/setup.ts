import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// Secrets and embedded data of a test run live in a temporary folder, never in the project's .data.
if (!process.env.FANOUT_TEST_DATA_DIR) {
  process.env.FANOUT_TEST_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-test-"));
}
process.env.FANOUT_DATA_DIR = process.env.FANOUT_TEST_DATA_DIR;
delete process.env.DATABASE_URL;

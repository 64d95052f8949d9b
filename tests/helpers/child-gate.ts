/**
 * The start of every test child process (engine-child, message-child, webhook-child): it exits
 * when its standard input closes, so it never outlives the test that started it, and it waits
 * for a line "go" there before going on, so a test can start the next child while the last one
 * still runs (and owns an embedded database).
 */
export async function waitForGo(): Promise<void> {
  process.stdin.on("end", () => process.exit(3));
  await new Promise<void>((resolve) => {
    let input = "";
    const read = (chunk: Buffer) => {
      input += chunk.toString();
      if (!input.includes("go\n")) return;
      process.stdin.off("data", read);
      resolve();
    };
    process.stdin.on("data", read);
  });
  process.stdin.resume();
}

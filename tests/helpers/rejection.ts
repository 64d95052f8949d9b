/** The error a promise rejects with, when it is of the expected class; anything else fails the test. */
export async function rejection<E extends Error>(run: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  try {
    await run;
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}, but the call succeeded`);
}

/**
 * Polls `fn` until it returns something truthy, and returns that; fails naming `what` after
 * `timeoutMs`. Tests wait on the state they need instead of sleeping a fixed time, which a loaded
 * 2-core CI machine can outlast.
 */
export async function until<T>(
  what: string,
  fn: () => T | Promise<T>,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

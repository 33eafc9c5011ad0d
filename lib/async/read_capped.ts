// The one bounded read: collect chunks up to a byte cap and decode them as UTF-8, so nothing the
// program reads whole (an API response body, `-` targets on stdin) can outgrow its limit.

/**
 * Reads `chunks` to the end and decodes them as UTF-8, keeping at most `maxBytes`: the chunk that
 * goes over stops the read (a stream iterated here is cancelled) and `tooLarge()` is thrown.
 *
 * @example
 * ```ts
 * const body = new Response("hello").body!;
 * await readCapped(body, 1024, () => new RangeError("too large")); // "hello"
 * await readCapped(new Response("hello").body!, 3, () => new RangeError("too large"))
 *   .catch((e) => e.message); // "too large"
 * ```
 */
export async function readCapped(
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<string> {
  const kept: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge(); // leaving the loop cancels a ReadableStream
    kept.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of kept) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

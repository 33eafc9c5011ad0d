// The one reader of small files named by the user (config files, token and secret files): only a
// regular file, at most a given size, read through one handle, so a link to `/dev/zero`, a FIFO
// or a file swapped after the check can never hang the program or fill its memory.

/** Why a small file could not be read, in words that fit after "cannot read PATH: ". */
export class FileReadError extends Error {
  /** Always `"FileReadError"`. */
  override name = "FileReadError";
}

/** `1 MiB`, `64 KiB` or `N bytes`: a size limit as the error messages name it. */
function sizeText(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * Reads the file at `path` whole if it is a regular file of at most `maxBytes`; `undefined` when
 * it does not exist. Anything else throws a {@link FileReadError} whose message is the reason
 * (`not a regular file`, `larger than 1 MiB`, `permission denied`, `is a directory`, …), never
 * the contents. The path is checked before opening (opening a FIFO blocks), then the open handle
 * is checked again and at most one byte past the limit is read.
 *
 * @example
 * ```ts
 * const path = Deno.makeTempFileSync();
 * Deno.writeTextFileSync(path, "token\n");
 * readSmallFile(path, 1024)?.length; // 6
 * readSmallFile(`${path}.missing`, 1024); // undefined
 * Deno.removeSync(path);
 * ```
 */
export function readSmallFile(path: string, maxBytes: number): Uint8Array | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path); // follows links; never opens
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw reason(e);
  }
  if (info.isDirectory) throw new FileReadError("is a directory");
  if (!info.isFile) throw new FileReadError("not a regular file");
  const tooBig = () => new FileReadError(`larger than ${sizeText(maxBytes)}`);
  if (info.size > maxBytes) throw tooBig();
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    throw reason(e);
  }
  try {
    if (!file.statSync().isFile) throw new FileReadError("not a regular file");
    const buf = new Uint8Array(maxBytes + 1);
    let used = 0;
    while (used < buf.length) {
      const n = file.readSync(buf.subarray(used));
      if (n === null) break;
      used += n;
    }
    if (used > maxBytes) throw tooBig();
    return buf.slice(0, used);
  } catch (e) {
    throw reason(e);
  } finally {
    file.close();
  }
}

/** The short reason of an I/O failure. */
function reason(e: unknown): FileReadError {
  if (e instanceof FileReadError) return e;
  if (e instanceof Deno.errors.PermissionDenied) return new FileReadError("permission denied");
  if (e instanceof Deno.errors.IsADirectory) return new FileReadError("is a directory");
  if (e instanceof Deno.errors.NotFound) return new FileReadError("no such file");
  return new FileReadError(e instanceof Error ? e.message : String(e));
}

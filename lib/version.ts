/** The program's version: the single source of truth (release tags must equal it). */
export const VERSION = "0.1.0";

/**
 * The User-Agent header, also printed by `--version`: the original's shape with Deno's values,
 * including the trailing space.
 */
export function userAgent(): string {
  return `contree-cli/${VERSION} Deno/${Deno.version.deno} ${Deno.build.os}-${Deno.build.arch} `;
}

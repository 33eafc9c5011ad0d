// Windows and macOS: the same CONTREE_HOME rules with the platform's home variables, CRLF config
// files, and only the signals each platform supports.
import assert from "node:assert/strict";
import { contreeHome, resolveProfile } from "../../lib/config/config.ts";
import { ROOT_URL } from "./util.ts";

Deno.test("contreeHome on Windows: USERPROFILE, then HOMEDRIVE+HOMEPATH, then HOME", () => {
  const win = "windows" as const;
  assert.equal(
    contreeHome({ USERPROFILE: "C:\\Users\\me", HOME: "/c/Users/me" }, win),
    "C:\\Users\\me/.config/contree",
  );
  assert.equal(
    contreeHome({ HOMEDRIVE: "D:", HOMEPATH: "\\Users\\me" }, win),
    "D:\\Users\\me/.config/contree",
  );
  assert.equal(contreeHome({ HOME: "/c/Users/me" }, win), "/c/Users/me/.config/contree");
  assert.equal(contreeHome({ USERPROFILE: "", HOME: "H:" }, win), "H:/.config/contree");
  // `~\` is a home-relative path on Windows only.
  assert.equal(
    contreeHome({ CONTREE_HOME: "~\\contree", USERPROFILE: "C:\\Users\\me" }, win),
    "C:\\Users\\me\\contree",
  );
  assert.equal(contreeHome({ CONTREE_HOME: "~\\c", HOME: "/u" }, "linux"), "~\\c");
  assert.equal(
    contreeHome({ XDG_CONFIG_HOME: "~/cfg", USERPROFILE: "C:\\Users\\me" }, win),
    "C:\\Users\\me/cfg/contree",
  );
});

Deno.test("contreeHome on macOS and Linux: HOME first, empty values skipped", () => {
  for (const os of ["darwin", "linux"] as const) {
    assert.equal(
      contreeHome({ HOME: "/Users/me", USERPROFILE: "C:\\x" }, os),
      "/Users/me/.config/contree",
    );
    assert.equal(contreeHome({ HOME: "", USERPROFILE: "/p" }, os), "/p/.config/contree");
    assert.equal(contreeHome({}, os), "./.config/contree");
    assert.equal(contreeHome({ CONTREE_HOME: "~", HOME: "/Users/me" }, os), "/Users/me");
  }
});

Deno.test("auth.ini with CRLF line endings (Notepad) and a BOM resolves like LF", () => {
  const home = Deno.makeTempDirSync({ prefix: "contree-crlf-" });
  try {
    Deno.writeTextFileSync(
      `${home}/auth.ini`,
      "\uFEFF[DEFAULT]\r\nprofile = work\r\n\r\n[profile:work]\r\ntoken = t0k\r\n" +
        "url = https://api.example.test/sandboxes/\r\ntype = jwt\r\n",
    );
    const p = resolveProfile(home, {}, {});
    assert.deepEqual(p, {
      name: "work",
      type: "jwt",
      url: "https://api.example.test/sandboxes",
      token: "t0k",
      project: undefined,
    });
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("main.ts listens only for signals every platform supports (SIGINT; no SIGTERM on Windows)", () => {
  const main = Deno.readTextFileSync(new URL("main.ts", ROOT_URL));
  const signals = [...main.matchAll(/addSignalListener\(\s*"(\w+)"/g)].map((m) => m[1]);
  assert.ok(signals.includes("SIGINT"), "Ctrl-C is handled");
  // Deno on Windows supports only SIGINT and SIGBREAK; anything else must be guarded by an OS check.
  for (const s of signals.filter((s) => s !== "SIGINT" && s !== "SIGBREAK")) {
    assert.match(main, /Deno\.build\.os\s*[!=]==\s*"windows"/, `${s} without a Windows guard`);
  }
});

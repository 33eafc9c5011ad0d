import assert from "node:assert/strict";
import { contreeHome, IAM_DEFAULT_URL, resolveProfile } from "../../lib/config/config.ts";
import { iniGet, parseIni } from "../../lib/config/ini.ts";
import { tempHome } from "../helpers.ts";

Deno.test("ini: configparser layout — DEFAULT fallback, ':' separator, comments, continuation, CRLF", () => {
  const ini = parseIni(
    "[DEFAULT]\r\nprofile = prod\r\n# comment\r\n[profile:prod]\r\nToken: abc\r\n; more\r\nurl = http://h\r\n  /continued\r\n",
    "x.ini",
  );
  assert.equal(iniGet(ini, "profile:prod", "token"), "abc");
  assert.equal(iniGet(ini, "profile:prod", "profile"), "prod");
  assert.equal(iniGet(ini, "profile:prod", "url"), "http://h\n/continued");
});

Deno.test("ini: malformed files name the file and line", () => {
  assert.throws(() => parseIni("[a]\nno separator here\n", "f.ini"), {
    message: 'Invalid config file f.ini, line 2: cannot parse "no separator here"',
  });
  assert.throws(() => parseIni("[a]\n[a]\n", "f.ini"), {
    message: "Invalid config file f.ini, line 2: section 'a' already exists",
  });
});

Deno.test("home: CONTREE_HOME > XDG_CONFIG_HOME/contree > ~/.config/contree", () => {
  assert.equal(contreeHome({ CONTREE_HOME: "~/c", HOME: "/u" }), "/u/c");
  assert.equal(contreeHome({ XDG_CONFIG_HOME: "/x", HOME: "/u" }), "/x/contree");
  assert.equal(contreeHome({ HOME: "/u" }), "/u/.config/contree");
  assert.equal(contreeHome({ USERPROFILE: "C:/Users/me" }), "C:/Users/me/.config/contree");
});

Deno.test("profiles: IAM default URL, JWT default type, overrides, env and flag precedence", () => {
  using dir = tempHome([
    { name: "a", token: "ta", type: "iam", project: "p" },
    { name: "b", token: "tb", url: "http://b/api/" },
  ]);
  const home = dir.path;
  const a = resolveProfile(home, {}, {});
  assert.deepEqual(a, { name: "a", type: "iam", url: IAM_DEFAULT_URL, token: "ta", project: "p" });
  const b = resolveProfile(home, { CONTREE_PROFILE: "b" }, {});
  assert.equal(b.url, "http://b/api");
  assert.equal(b.type, "jwt");
  const flag = resolveProfile(home, { CONTREE_PROFILE: "b" }, { profile: "a", token: "t2" });
  assert.equal(flag.name, "a");
  assert.equal(flag.token, "t2");
  // CONTREE_TOKEN / CONTREE_URL sit between the flags and the profile (issue 13).
  assert.equal(resolveProfile(home, { CONTREE_TOKEN: "env" }, {}).token, "env");
  assert.equal(resolveProfile(home, { CONTREE_TOKEN: "env" }, { token: "flag" }).token, "flag");
  assert.equal(resolveProfile(home, { CONTREE_URL: "http://e/" }, {}).url, "http://e");
});

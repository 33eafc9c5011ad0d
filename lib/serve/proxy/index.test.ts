import assert from "node:assert/strict";
import { clientAddress, parseTrustedProxies } from "./index.ts";

Deno.test("trust-proxy: networks, IPv6, IPv4-mapped; bad entries are refused", () => {
  const t = parseTrustedProxies("10.0.0.0/8, 192.168.1.1, fd00::/8");
  for (const a of ["10.255.0.1", "::ffff:10.0.0.1", "192.168.1.1", "fd12::1"]) {
    assert.ok(t.contains(a), a);
  }
  for (const a of ["11.0.0.1", "192.168.1.2", "fe80::1", "not an ip", ""]) {
    assert.ok(!t.contains(a), a);
  }
  for (const bad of ["", "10.0.0.0/33", "example.com", "10.0.0.0/8,,x"]) {
    assert.throws(() => parseTrustedProxies(bad), Error, bad);
  }
});

Deno.test("trust-proxy: the rightmost untrusted X-Forwarded-For hop is the client", () => {
  const t = parseTrustedProxies("127.0.0.1,10.0.0.0/8");
  assert.equal(clientAddress("127.0.0.1", "1.1.1.1, 2.2.2.2, 10.0.0.5", t), "2.2.2.2");
  assert.equal(clientAddress("127.0.0.1", "10.0.0.9", t), "10.0.0.9");
  assert.equal(clientAddress("127.0.0.1", "[2001:db8::1]", t), "2001:db8::1");
  assert.equal(clientAddress("127.0.0.1", "garbage\x1b, 10.0.0.5", t), "10.0.0.5");
  assert.equal(clientAddress("127.0.0.1", "", t), "127.0.0.1");
  assert.equal(clientAddress("8.8.8.8", "1.1.1.1", t), "8.8.8.8");
  assert.equal(clientAddress("127.0.0.1", "1.1.1.1", undefined), "127.0.0.1");
});

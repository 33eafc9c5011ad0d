// Pinned ipaddr.js: IPv4/IPv6 parsing and CIDR matching for `--trust-proxy` (IPv4-mapped IPv6
// addresses and every IPv6 spelling handled, which a hand-written matcher easily gets wrong).
export { default as ipaddr } from "npm:ipaddr.js@2.5.0";

// Pinned npm packages used only by the tests: independent webhook signers, so the server's
// verifier is never tested with its own signing code.
export { Webhook as StandardWebhook } from "npm:standardwebhooks@1.1.1";
export { sign as githubSign } from "npm:@octokit/webhooks-methods@6.0.0";
// Real GitHub webhook payloads (one or more examples per event), and a Prometheus text-format
// parser independent of the server's renderer.
export { default as githubExamples } from "npm:@octokit/webhooks-examples@7.6.1" with {
  type: "json",
};
export { default as parsePrometheus } from "npm:parse-prometheus-text-format@1.1.1";

// Pinned npm packages used only by the tests: independent webhook signers, so the server's
// verifier is never tested with its own signing code.
export { Webhook as StandardWebhook } from "npm:standardwebhooks@1.1.1";
export { sign as githubSign } from "npm:@octokit/webhooks-methods@6.0.0";

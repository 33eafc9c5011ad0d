// Pinned YAML parser for the workflow tests (test-only; the program never loads it).
export { parse } from "npm:yaml@2.9.1";

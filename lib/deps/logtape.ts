// Pinned LogTape (stands in for @std/log, which lives on JSR and cannot be installed here).
export {
  configureSync,
  getLogger,
  type LogLevel,
  type LogRecord,
  resetSync,
  type Sink,
} from "npm:@logtape/logtape@2.4.2";

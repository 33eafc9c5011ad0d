// `-f tsv`: the CSV writer with a tab (Excel-tab dialect): CRLF, quoting on tab, quote, CR, LF.
import { delimitedSink } from "./csv.ts";
import type { Sink, SinkOptions } from "./types.ts";

/** `-f tsv`: tab-separated, Excel-tab dialect. */
export const tsvSink = (o: SinkOptions): Sink => delimitedSink(o, "\t");

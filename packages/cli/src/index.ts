export { tail, type TailOutput } from "./tail.js";
export { readTailOptions, usage, type TailOptions } from "./tail-options.js";
export { formatEvent, formatNotice } from "./format.js";

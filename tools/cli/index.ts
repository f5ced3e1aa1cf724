// The `airlock` command as a library: `main` runs one command line in-process and returns its
// exit code, so bin/airlock.js, the demo and the tests all drive the same code.
export { main, buildProgram, type ExitCode } from "./main.js";
export { processIo, captureIo, type CliIo } from "./io.js";

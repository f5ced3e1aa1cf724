// The fleet simulation's worker thread starts here: the tools are TypeScript, compiled by tsx as
// bin/airlock.js does for the main thread.
import { tsImport } from "tsx/esm/api";

await tsImport("./worker.ts", import.meta.url);

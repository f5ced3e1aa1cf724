#!/usr/bin/env node
// The `airlock` command. The tools are TypeScript; tsx compiles them on the fly (scoped to this
// import, so nothing else in the process is affected).
import { tsImport } from "tsx/esm/api";

const { main } = await tsImport("../tools/cli/index.ts", import.meta.url);
process.exitCode = await main(process.argv.slice(2));

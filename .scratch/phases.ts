import { serveDevice } from "../host-sim/index.js";
import { sendBundle, connectTcp } from "../tools/link/index.js";
import { readFileSync, copyFileSync } from "node:fs";
copyFileSync("/tmp/srv/dev.flash", "/tmp/srv/dev2.flash");
const h = await serveDevice({ flash: "/tmp/srv/dev2.flash", host: "127.0.0.1", port: 0, log: (l) => console.log(performance.now().toFixed(0), l) });
const t0 = performance.now();
let last = "";
const r = await sendBundle({ connect: () => connectTcp("127.0.0.1", h.address.port), bundle: readFileSync("/tmp/srv/v2.bundle"), filename: "x",
  onProgress: (p, d, t) => { if (p !== last) { console.log((performance.now() - t0).toFixed(0), p, d, t); last = p; } } });
console.log((performance.now() - t0).toFixed(0), r);
await h.close();

import { demoFixtures } from "../board/native/fixtures.js";
import { loadBoard } from "../host-sim/index.js";
import { writeFileSync } from "node:fs";
const b = loadBoard("nrf52840");
const f = demoFixtures(b.hardwareId);
writeFileSync("/tmp/demo-update.bundle", f.updateBundle);
writeFileSync("/tmp/demo-bad.bundle", f.badSignatureBundle);

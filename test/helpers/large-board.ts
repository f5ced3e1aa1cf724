// rp2040's geometry (4 KiB sectors, byte writes) on a 64 MiB part, with 16 MiB app slots: the
// board of the tests and benchmarks that need images of several MiB.
import { loadBoard, validateBoard, type Board } from "../../host-sim/index.js";

const MiB = 1024 * 1024;

/** The large board; `extra` adds board-file fields (e.g. bootCheck) under a name that says so. */
export function largeRp2040(extra: { name?: string; bootCheck?: boolean } = {}): Board {
  const rp = loadBoard("rp2040");
  return validateBoard(
    {
      ...rp,
      name: extra.name ?? "rp2040-64mib",
      description: "rp2040 geometry on a 64 MiB QSPI part (W25Q512 class) for multi-MiB images",
      ...(extra.bootCheck === undefined ? {} : { bootCheck: extra.bootCheck }),
      flash: { ...rp.flash, sectors: [{ size: 4096, count: 16384 }] },
      partitions: {
        metadata: { offset: 0x40000, size: 0x4000 },
        staging: { offset: 0x2100000, size: 16 * MiB + 0x10000 },
        targets: [{ name: "app", slotA: 0x100000, slotB: 0x1100000, slotSize: 16 * MiB }],
      },
    },
    `test board ${extra.name ?? "rp2040-64mib"}`,
  );
}

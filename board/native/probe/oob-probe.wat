;; A probe for the board's memory bounds checks: the smallest module that reaches every kind of
;; memory access wasm2c checks (loads and stores of 1, 4 and 8 bytes, a static offset up to
;; 2^32 - 1, memory.fill and memory.copy), translated and compiled exactly as the agent is
;; (wasm2c, fixed-memory-bounds.ts, the same flags) and run on QEMU by app/oob-probe.c.
;; test/board-oob-trap.test.ts drives it: accesses that end at the board memory's last byte must
;; work, one byte further must trap, including addresses whose 32-bit sum wraps around to 0.
;; The board backs only the first BOARD_LINEAR_MEMORY_BYTES of the page (machines.ts); the
;; Makefile puts that size, less 8 and less 4, in for the @...@ names below.
;;
;; Like the agent: one page, initial = maximum = 1, exported as "memory". Every export takes
;; three i32 arguments and returns an i64, so the firmware calls them all through one type.
(module
  (memory (export "memory") 1 1)
  ;; Known bytes at both ends of the board's memory, so loads at the edges return something checkable.
  (data (i32.const 0) "\01\02\03\04\05\06\07\08")
  (data (i32.const @MEMORY_BYTES_MINUS_8@) "\f8\f9\fa\fb\fc\fd\fe\ff")

  (func (export "load8") (param $addr i32) (param i32 i32) (result i64)
    (i64.load8_u (local.get $addr)))
  (func (export "load32") (param $addr i32) (param i32 i32) (result i64)
    (i64.extend_i32_u (i32.load (local.get $addr))))
  (func (export "load64") (param $addr i32) (param i32 i32) (result i64)
    (i64.load (local.get $addr)))
  ;; A static offset that makes base + offset carry out of 32 bits for any base >= 1: the sum
  ;; must be compared in full, never as a wrapped 32-bit address.
  (func (export "load32_offset_max") (param $addr i32) (param i32 i32) (result i64)
    (i64.extend_i32_u (i32.load offset=4294967295 (local.get $addr))))
  (func (export "load32_offset_top") (param $addr i32) (param i32 i32) (result i64)
    (i64.extend_i32_u (i32.load offset=@MEMORY_BYTES_MINUS_4@ (local.get $addr))))
  (func (export "store8") (param $addr i32) (param $value i32) (param i32) (result i64)
    (i32.store8 (local.get $addr) (local.get $value))
    (i64.const 0))
  (func (export "store32") (param $addr i32) (param $value i32) (param i32) (result i64)
    (i32.store (local.get $addr) (local.get $value))
    (i64.const 0))
  (func (export "store64_offset_8") (param $addr i32) (param $value i32) (param i32) (result i64)
    (i64.store offset=8 (local.get $addr) (i64.extend_i32_u (local.get $value)))
    (i64.const 0))
  (func (export "fill") (param $dst i32) (param $value i32) (param $len i32) (result i64)
    (memory.fill (local.get $dst) (local.get $value) (local.get $len))
    (i64.const 0))
  (func (export "copy") (param $dst i32) (param $src i32) (param $len i32) (result i64)
    (memory.copy (local.get $dst) (local.get $src) (local.get $len))
    (i64.const 0))
)

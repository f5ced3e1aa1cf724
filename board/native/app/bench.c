// Measures the agent on the emulated Cortex-M4: instructions per byte of SHA-256 and SHA-512
// and per Ed25519 verification (through the same exports the host uses), and the peak stack
// of each. Prints one "bench" line per figure; digests and verdicts are printed too, so the
// host test can check the work was real, not just fast.
#include <string.h>

#include "agent-instance.h"
#include "airlock-status.h"
#include "bench-vectors.h"
#include "board.h"
#include "console.h"
#include "fatal.h"
#include "instruction-counter.h"
#include "stack.h"

// Bytes hashed per digest figure: enough that init and final are noise, and a whole number of
// I/O windows (4 KiB) so every update is a full window.
#define HASH_BENCH_BYTES (64u * 1024u)

typedef struct {
  const char *name;
  uint32_t digest_bytes;
  void (*init)(Z_agent_instance_t *);
  u32 (*update)(Z_agent_instance_t *, u32);
  u32 (*final)(Z_agent_instance_t *);
} hash_export_t;

static void expect_ok(const char *what, int32_t result) {
  if (result != OK) fatal(what, "the agent returned an error on valid input");
}

// The message is the byte sequence i mod 251 (a prime, so no window-sized period), which the
// host test hashes too.
static void fill_pattern(uint8_t *dst, uint32_t len, uint32_t offset) {
  for (uint32_t i = 0; i < len; i++) dst[i] = (uint8_t)((offset + i) % 251u);
}

static void bench_hash(const hash_export_t *hash) {
  uint8_t *io = agent_io();
  uint32_t window = agent_io_len();
  uint32_t instructions = 0;
  stack_paint();
  uint32_t stack_before = stack_peak_bytes();

  instruction_counter_start();
  hash->init(&agent);
  instructions += instruction_counter_stop();
  for (uint32_t at = 0; at < HASH_BENCH_BYTES; at += window) {
    fill_pattern(io, window, at);  // not counted: the firmware's own work
    instruction_counter_start();
    int32_t result = (int32_t)hash->update(&agent, window);
    instructions += instruction_counter_stop();
    expect_ok(hash->name, result);
  }
  instruction_counter_start();
  int32_t result = (int32_t)hash->final(&agent);
  instructions += instruction_counter_stop();
  expect_ok(hash->name, result);
  uint32_t stack = stack_peak_bytes() - stack_before;

  console_str("bench ");
  console_str(hash->name);
  console_str(" bytes=");
  console_u32(HASH_BENCH_BYTES);
  console_str(" instructions=");
  console_u32(instructions);
  console_str(" per-byte-x100=");
  console_u32((uint32_t)(((uint64_t)instructions * 100 + HASH_BENCH_BYTES / 2) / HASH_BENCH_BYTES));
  console_str(" stack=");
  console_u32(stack);
  console_str(" digest=");
  console_hex(io, hash->digest_bytes);
  console_end_line();
}

// The end of a verification's bench line: " instructions=N stack=N result=N" (the host parses it).
static void print_verify_cost(uint32_t instructions, uint32_t stack, int32_t result) {
  console_str(" instructions=");
  console_u32(instructions);
  console_str(" stack=");
  console_u32(stack);
  console_str(" result=");
  console_i32(result);
  console_end_line();
}

// One verification of the bench vector through the test-surface export: the I/O window holds
// [public key 32][signature 64][message]. Prints its cost and verdict, then the verdict on the
// same input with one signature bit flipped (the host test expects OK, then a rejection).
static void bench_ed25519(void) {
  uint8_t *io = agent_io();
  uint32_t message_len = bench_ed25519_message_len;
  if (32 + 64 + message_len > agent_io_len()) fatal("bench", "Ed25519 vector larger than the I/O window");
  memcpy(io, bench_ed25519_public_key, 32);
  memcpy(io + 32, bench_ed25519_signature, 64);
  memcpy(io + 96, bench_ed25519_message, message_len);

  stack_paint();
  uint32_t stack_before = stack_peak_bytes();
  instruction_counter_start();
  int32_t result = (int32_t)Z_agentZ_ed25519_verify(&agent, message_len);
  uint32_t instructions = instruction_counter_stop();
  uint32_t stack = stack_peak_bytes() - stack_before;
  console_str("bench ed25519-verify message-bytes=");
  console_u32(message_len);
  print_verify_cost(instructions, stack, result);

  memcpy(io, bench_ed25519_public_key, 32);
  memcpy(io + 32, bench_ed25519_signature, 64);
  io[32] ^= 0x01;  // a bit of R
  memcpy(io + 96, bench_ed25519_message, message_len);
  console_str("check ed25519-tampered result=");
  console_i32((int32_t)Z_agentZ_ed25519_verify(&agent, message_len));
  console_end_line();
}

// One P-256 verification of RFC 6979's A.2.5 vector: the window holds [public key 65][signature
// 64][digest 32]. Prints its cost and verdict, then the verdict with one bit of r flipped.
static void bench_p256(void) {
  uint8_t *io = agent_io();
  memcpy(io, bench_p256_public_key, 65);
  memcpy(io + 65, bench_p256_signature, 64);
  memcpy(io + 129, bench_p256_digest, 32);
  stack_paint();
  uint32_t stack_before = stack_peak_bytes();
  instruction_counter_start();
  int32_t result = (int32_t)Z_agentZ_p256_verify_digest(&agent);
  uint32_t instructions = instruction_counter_stop();
  uint32_t stack = stack_peak_bytes() - stack_before;
  console_str("bench p256-verify");
  print_verify_cost(instructions, stack, result);

  memcpy(io, bench_p256_public_key, 65);
  memcpy(io + 65, bench_p256_signature, 64);
  io[65] ^= 0x01;  // a bit of r
  memcpy(io + 129, bench_p256_digest, 32);
  console_str("check p256-tampered result=");
  console_i32((int32_t)Z_agentZ_p256_verify_digest(&agent));
  console_end_line();
}

int main(void) {
  console_str("board " BOARD_NAME);
  console_end_line();
  instruction_counter_calibrate();
  agent_power_on();

  static const hash_export_t sha256 = {"sha256", 32, Z_agentZ_sha256_init, Z_agentZ_sha256_update,
                                       Z_agentZ_sha256_final};
  static const hash_export_t sha512 = {"sha512", 64, Z_agentZ_sha512_init, Z_agentZ_sha512_update,
                                       Z_agentZ_sha512_final};
  bench_hash(&sha256);
  bench_hash(&sha512);
  bench_ed25519();
  bench_p256();

  agent_power_off();
  console_str("bench done");
  console_end_line();
  return 0;
}

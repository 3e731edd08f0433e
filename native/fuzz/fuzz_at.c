/*
 * fuzz_at.c — libFuzzer harness for the modem AT dialogue (native/core/at.c), built with ASan and
 * UBSan (test/fuzz/fuzz.mk, test/fuzz/native.test.ts).
 *
 * The fuzz input is a small program: each step is an opcode byte and its operands. Steps feed raw
 * modem output (arbitrary bytes or lines from a dictionary of real result codes, +CMT/+CMTI/+CMGR
 * headers and PDU lines), advance the clock and tick, take PDUs with various buffer sizes, drain
 * the command output partially, or restart the machine with other flags. After every step the
 * harness checks the invariants the rest of the native layer relies on and aborts (a crash for
 * libFuzzer) when one breaks:
 *   - every bound holds: queue length, line buffer, tx offsets, PDU length;
 *   - dm_at_input consumes at most what it was given, and never 0 bytes when it could progress;
 *   - a PDU handed out is exactly SMSC-length-octet + SMSC + TPDU (1 + pdu[0] + tpdu) bytes,
 *     pdu[0] <= 11, and -ENOBUFS keeps it queued;
 *   - the command output is one of the commands the dialogue may send ("AT…\r");
 *   - a failed machine reports -ETIMEDOUT or -EPROTO, stays failed and swallows input;
 *   - counters never decrease; a deadline is armed whenever a command is in flight.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/dm_native.h"

#define FAIL(...)                              \
  do {                                         \
    fprintf(stderr, "fuzz_at: " __VA_ARGS__);  \
    fputc('\n', stderr);                       \
    abort();                                   \
  } while (0)

static const char *const LINES[] = {
    "OK\r\n", "ERROR\r\n", "+CME ERROR: 10\r\n", "+CMS ERROR: 314\r\n", "+CSMS: 1,1,1\r\n", "+CSMS: 0,1,1\r\n",
    "+CMT: ,24\r\n", "+CMT: \"alpha\",200\r\n", "+CMTI: \"SM\",3\r\n", "+CMTI: \"ME\",65535\r\n", "+CMTI: \"SM\",99999\r\n",
    "+CMGR: 0,,24\r\n", "+CMGR: 1,,7\r\n", "AT+CNMA\r\n", "RING\r\n", "\r\n", "\n\n\r",
    /* a 24-octet TPDU after an empty SMSC field, and one with a 7-octet SMSC */
    "0040048100000000000000000F0A0B0C0D0E0F101112131415\r\n",
    "0791447758100650040C914477009010320000522011424300000A48656C6C6F2C20776F726C64\r\n",
    "00zz\r\n", "07914477\r\n",
};
#define NLINES (sizeof LINES / sizeof LINES[0])

static uint32_t prev_stats[DM_SMS_STAT_COUNT];

/*
 * Known, reported bugs are tolerated unless FUZZ_STRICT=1 (docs/hardening.md, Findings), so a long
 * run keeps looking for new ones; test/fuzz/native.test.ts replays their vectors with FUZZ_STRICT=1.
 *   N1  a +CMT/+CMGR header whose length is 0 or above 176 leaves expect_len at 0, and a PDU line
 *       holding only an SMSC field (1 + pdu[0] bytes) is then handed out with an empty TPDU.
 */
static int strict;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *s = getenv("FUZZ_STRICT");
  strict = s != NULL && s[0] == '1';
  return 0;
}

static void check(const dm_at_t *at) {
  if (at->q_len > DM_AT_QUEUE_MAX || at->q_head >= DM_AT_QUEUE_MAX) FAIL("queue %u/%u", at->q_head, at->q_len);
  if (at->line_len > DM_AT_LINE_MAX) FAIL("line_len %u", at->line_len);
  if (at->tx_off > at->tx_len || at->tx_len >= sizeof at->tx) FAIL("tx %u/%u", at->tx_off, at->tx_len);
  if (at->pdu_len > DM_SMS_PDU_MAX) FAIL("pdu_len %u", at->pdu_len);
  if (at->phase > DM_AT_PHASE_FAILED) FAIL("phase %u", at->phase);
  if (at->phase == DM_AT_PHASE_FAILED && at->err != -ETIMEDOUT && at->err != -EPROTO) FAIL("failed with %d", at->err);
  if (at->phase != DM_AT_PHASE_FAILED && dm_at_error(at) != 0) FAIL("error while healthy");
  if (at->inflight && at->phase != DM_AT_PHASE_FAILED && at->deadline_ms < 0) FAIL("command %u in flight without a deadline", at->inflight);
  if (at->expect_len > DM_SMS_TPDU_MAX) FAIL("expect_len %u", at->expect_len);
  for (int i = 0; i < DM_SMS_STAT_COUNT; i++) {
    if (i == DM_SMS_STAT_STATE || i == DM_SMS_STAT_STORED_MODE || i == DM_SMS_STAT_ACK_MODE) continue;
    if (at->stats[i] < prev_stats[i]) FAIL("counter %d went down", i);
    prev_stats[i] = at->stats[i];
  }
  const uint8_t *out;
  size_t n = dm_at_output(at, &out);
  if (n > 0 && at->tx_off == 0) {
    if (at->tx_len < 3 || memcmp(at->tx, "AT", 2) != 0 || at->tx[at->tx_len - 1] != '\r') FAIL("odd command output %.*s", (int)at->tx_len, at->tx);
  }
}

static void take(dm_at_t *at, size_t cap) {
  uint8_t buf[DM_SMS_PDU_MAX + 8];
  if (cap > sizeof buf) cap = sizeof buf;
  int had = at->pdu_ready;
  uint16_t len = at->pdu_len;
  int r = dm_at_take_pdu(at, buf, cap);
  if (!had && r != 0) FAIL("PDU taken when none was ready (%d)", r);
  if (had && cap < len && (r != -ENOBUFS || !at->pdu_ready)) FAIL("small buffer: %d, pdu kept %d", r, at->pdu_ready);
  if (had && cap >= len) {
    if (r != (int)len || at->pdu_ready) FAIL("take returned %d for a %u-byte PDU", r, len);
    if (buf[0] > 11 || (size_t)r < 1u + buf[0]) FAIL("PDU with SMSC length %u in %d bytes", buf[0], r);
    if ((size_t)r == 1u + buf[0] && strict) FAIL("N1: PDU with SMSC length %u and an empty TPDU", buf[0]);
  }
}

/* Feeds bytes the way sms.c does: until consumed, taking PDUs and draining commands in between. */
static void feed(dm_at_t *at, const uint8_t *p, size_t n, int64_t now) {
  int guard = 0;
  while (n > 0) {
    size_t used = dm_at_input(at, p, n, now);
    if (used > n) FAIL("consumed %zu of %zu", used, n);
    check(at);
    if (used == 0) {
      if (!at->pdu_ready) FAIL("no progress without a ready PDU");
      take(at, DM_SMS_PDU_MAX);
    }
    const uint8_t *o;
    size_t k = dm_at_output(at, &o);
    dm_at_output_done(at, k);
    p += used;
    n -= used;
    if (++guard > 100000) FAIL("feed does not terminate");
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static dm_at_t at;
  int64_t now = 1000;
  size_t i = 0;
  memset(prev_stats, 0, sizeof prev_stats);
  dm_at_init(&at, size > 0 ? data[0] & DM_SMS_F_ALL : 0, 500, now);
  check(&at);
  i = size > 0 ? 1 : 0;
  while (i + 1 < size) {
    /* every step: opcode, argument, then the step's own bytes (raw data for opcodes 0 and 7) */
    uint8_t op = data[i], arg = data[i + 1];
    i += 2;
    switch (op & 7) {
    case 0: { /* raw bytes */
      size_t n = (size_t)(arg % 64) + 1;
      if (n > size - i) n = size - i;
      feed(&at, data + i, n, now);
      i += n;
      break;
    }
    case 1: /* a dictionary line */
      feed(&at, (const uint8_t *)LINES[arg % NLINES], strlen(LINES[arg % NLINES]), now);
      break;
    case 2: /* time passes */
      now += (int64_t)arg * 37;
      dm_at_tick(&at, now);
      check(&at);
      break;
    case 3: /* take a PDU into a buffer of some size */
      take(&at, arg);
      check(&at);
      break;
    case 4: { /* partial write of the pending command */
      dm_at_output_done(&at, arg % 8);
      check(&at);
      break;
    }
    case 5: /* an overlong line */
      for (int k = 0; k < DM_AT_LINE_MAX + 40; k += 32) feed(&at, (const uint8_t *)"0123456789ABCDEF0123456789ABCDEF", 32, now);
      feed(&at, (const uint8_t *)"\r\n", 2, now);
      break;
    case 6: /* restart with other flags and timeout */
      memset(prev_stats, 0, sizeof prev_stats);
      dm_at_init(&at, arg & DM_SMS_F_ALL, (uint32_t)(arg >> 3) * 100, now);
      check(&at);
      break;
    default: { /* +CMT with a PDU line made of input bytes; the header's TPDU length matches them
                  (1 + SMSC length octet + TPDU) unless bit 7 of the opcode asks for a mismatch */
      char line[2 * DM_SMS_PDU_MAX + 64];
      size_t n = (size_t)arg % (DM_SMS_PDU_MAX + 4);
      if (n > size - i) n = size - i;
      unsigned smsc = n > 0 ? data[i] : 0;
      unsigned tpdu = n > 1u + smsc ? (unsigned)(n - 1 - smsc) : 0u;
      int w = snprintf(line, sizeof line, "+CMT: ,%u\r\n", tpdu + ((op & 0x80) ? 1u : 0u));
      for (size_t k = 0; k < n && (size_t)w + 3 < sizeof line; k++) w += snprintf(line + w, sizeof line - (size_t)w, "%02X", data[i + k]);
      w += snprintf(line + w, sizeof line - (size_t)w, "\r\n");
      feed(&at, (const uint8_t *)line, (size_t)w, now);
      i += n;
      break;
    }
    }
    if (at.phase == DM_AT_PHASE_FAILED) {
      /* a failed machine swallows input and stays failed */
      if (dm_at_input(&at, (const uint8_t *)"OK\r\n", 4, now) != 4 || dm_at_error(&at) == 0) FAIL("failed machine revived");
    }
  }
  return 0;
}

/*
 * at.c — the modem AT dialogue (3GPP TS 27.005 / 27.007) as a byte-driven state machine.
 *
 * No I/O and no clock here: the tty layer (sms.c) and the unit tests feed bytes and times.
 *
 *   init:  ATE0 → AT+CMGF=0 → [AT+CSMS=1] → AT+CNMI=2,2,0,0,0 (direct)  or  AT+CNMI=2,1,0,0,0 (stored)
 *          Each command waits for its final result (OK / ERROR / +CME ERROR / +CMS ERROR) for
 *          timeout_ms. A timeout re-sends at once, an ERROR re-sends after DM_AT_RETRY_DELAY_MS,
 *          DM_AT_MAX_TRIES attempts in all; then the init fails (-ETIMEDOUT, or -EPROTO after ERRORs).
 *          Exceptions: AT+CSMS=1 failing means "no phase 2+": continue without acknowledgements;
 *          AT+CNMI=2,2 failing falls back to stored routing (AT+CNMI=2,1).
 *   run:   "+CMT: [<alpha>],<len>" then the PDU line                 → PDU ready; AT+CNMA if acking
 *          "+CMTI: <mem>,<idx>"                                       → AT+CMGR=<idx>
 *          "+CMGR: <stat>,[<alpha>],<len>", PDU line, OK              → PDU ready; then AT+CMGD=<idx>
 *          Runtime commands are re-sent only on timeout (not on ERROR) and dropped after the tries.
 *   lines: CR or LF ends a line, empty lines are skipped, echoed commands ("AT...") are ignored,
 *          lines longer than DM_AT_LINE_MAX are discarded whole and counted.
 * Acknowledgement rule (27.005 §3.4.1): with AT+CSMS=1 accepted (+CSMS: <mt>=1) every +CMT must be
 * acknowledged with AT+CNMA, or the modem disables direct routing; we acknowledge even a PDU we could
 * not decode, because losing routing is worse than losing one malformed message.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* cfmakeraw, pread/pwrite, getrandom, fdatasync */
#endif
#define _FILE_OFFSET_BITS 64 /* 64-bit off_t on armhf too */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dm_native.h"

enum {
  DM_AT_CMD_NONE = 0,
  DM_AT_CMD_E0,
  DM_AT_CMD_CMGF,
  DM_AT_CMD_CSMS,
  DM_AT_CMD_CNMI_DIRECT,
  DM_AT_CMD_CNMI_STORED,
  DM_AT_CMD_CMGR,
  DM_AT_CMD_CMGD,
  DM_AT_CMD_CNMA,
  DM_AT_CMD_CMT /* not a command: marks a +CMT header in expect_pdu */
};

/* ------------------------------------------------------------------ small parsers over (ptr, len) */

static int prv_starts(const char *s, size_t n, const char *prefix) {
  size_t k = strlen(prefix);
  return n >= k && memcmp(s, prefix, k) == 0;
}

/* Exact match ignoring trailing spaces. */
static int prv_is(const char *s, size_t n, const char *word) {
  while (n > 0 && s[n - 1] == ' ') n--;
  size_t k = strlen(word);
  return n == k && memcmp(s, word, k) == 0;
}

/* The integer at the end of the line (trailing spaces skipped); -1 when there is none or it is > 65535. */
static long prv_last_int(const char *s, size_t n) {
  while (n > 0 && s[n - 1] == ' ') n--;
  size_t end = n;
  while (n > 0 && s[n - 1] >= '0' && s[n - 1] <= '9') n--;
  if (n == end || end - n > 5) return -1;
  long v = 0;
  for (size_t i = n; i < end; i++) v = v * 10 + (s[i] - '0');
  return v > 65535 ? -1 : v;
}

/* The first integer after ':' (spaces skipped); -1 when there is none. */
static long prv_first_int(const char *s, size_t n) {
  size_t i = 0;
  while (i < n && s[i] != ':') i++;
  i++;
  while (i < n && s[i] == ' ') i++;
  if (i >= n || s[i] < '0' || s[i] > '9') return -1;
  long v = 0;
  for (int k = 0; i < n && s[i] >= '0' && s[i] <= '9' && k < 5; i++, k++) v = v * 10 + (s[i] - '0');
  return v;
}

static int prv_hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int dm_hex_decode(const char *hex, size_t n, uint8_t *out, size_t cap) {
  while (n > 0 && hex[n - 1] == ' ') n--;
  if (n % 2 != 0) return -EINVAL;
  if (n / 2 > cap) return -ENOBUFS;
  for (size_t i = 0; i < n; i += 2) {
    int hi = prv_hexval(hex[i]), lo = prv_hexval(hex[i + 1]);
    if (hi < 0 || lo < 0) return -EINVAL;
    out[i / 2] = (uint8_t)(hi << 4 | lo);
  }
  return (int)(n / 2);
}

/* ------------------------------------------------------------------ command queue (bounded ring) */

static int prv_push(dm_at_t *at, uint8_t kind, uint16_t idx, int front) {
  if (at->q_len >= DM_AT_QUEUE_MAX) return -1;
  if (front) {
    at->q_head = (uint8_t)((at->q_head + DM_AT_QUEUE_MAX - 1) % DM_AT_QUEUE_MAX);
    at->queue[at->q_head] = (dm_at_cmd_t){kind, idx};
  } else {
    at->queue[(at->q_head + at->q_len) % DM_AT_QUEUE_MAX] = (dm_at_cmd_t){kind, idx};
  }
  at->q_len++;
  return 0;
}

/* ------------------------------------------------------------------ sending */

static void prv_send(dm_at_t *at, int64_t now) {
  int n;
  switch (at->inflight) {
  case DM_AT_CMD_E0: n = snprintf(at->tx, sizeof at->tx, "ATE0\r"); break;
  case DM_AT_CMD_CMGF: n = snprintf(at->tx, sizeof at->tx, "AT+CMGF=0\r"); break;
  case DM_AT_CMD_CSMS: n = snprintf(at->tx, sizeof at->tx, "AT+CSMS=1\r"); break;
  case DM_AT_CMD_CNMI_DIRECT: n = snprintf(at->tx, sizeof at->tx, "AT+CNMI=2,2,0,0,0\r"); break;
  case DM_AT_CMD_CNMI_STORED: n = snprintf(at->tx, sizeof at->tx, "AT+CNMI=2,1,0,0,0\r"); break;
  case DM_AT_CMD_CMGR: n = snprintf(at->tx, sizeof at->tx, "AT+CMGR=%u\r", (unsigned)at->inflight_idx); break;
  case DM_AT_CMD_CMGD: n = snprintf(at->tx, sizeof at->tx, "AT+CMGD=%u\r", (unsigned)at->inflight_idx); break;
  default: n = snprintf(at->tx, sizeof at->tx, "AT+CNMA\r"); break;
  }
  at->tx_len = (uint8_t)n;
  at->tx_off = 0;
  at->sent = 1;
  at->backoff = 0;
  at->deadline_ms = now + at->timeout_ms;
}

static void prv_start(dm_at_t *at, uint8_t kind, uint16_t idx, int64_t now) {
  at->inflight = kind;
  at->inflight_idx = idx;
  at->tries = 1;
  prv_send(at, now);
}

/* The next init command for the current step, or NONE when the init is complete. */
static uint8_t prv_init_cmd(const dm_at_t *at) {
  switch (at->init_step) {
  case 0: return DM_AT_CMD_E0;
  case 1: return DM_AT_CMD_CMGF;
  case 2: return ((at->flags & DM_SMS_F_ACK) && !at->stored) ? DM_AT_CMD_CSMS : DM_AT_CMD_NONE;
  case 3: return at->stored ? DM_AT_CMD_CNMI_STORED : DM_AT_CMD_CNMI_DIRECT;
  default: return DM_AT_CMD_NONE;
  }
}

/* Starts whatever is due when nothing is in flight. */
static void prv_next(dm_at_t *at, int64_t now) {
  if (at->inflight || at->phase == DM_AT_PHASE_FAILED) return;
  while (at->phase == DM_AT_PHASE_INIT) {
    if (at->init_step > 3) {
      at->phase = DM_AT_PHASE_RUN;
      break;
    }
    uint8_t k = prv_init_cmd(at);
    if (k != DM_AT_CMD_NONE) {
      prv_start(at, k, 0, now);
      return;
    }
    at->init_step++;
  }
  if (at->q_len > 0) {
    dm_at_cmd_t c = at->queue[at->q_head];
    at->q_head = (uint8_t)((at->q_head + 1) % DM_AT_QUEUE_MAX);
    at->q_len--;
    prv_start(at, c.kind, c.idx, now);
  }
}

static void prv_fail(dm_at_t *at, int err) {
  at->phase = DM_AT_PHASE_FAILED;
  at->err = err;
  at->inflight = 0;
  at->backoff = 0;
  at->deadline_ms = -1;
  at->tx_len = at->tx_off = 0;
}

/* ------------------------------------------------------------------ results */

static void prv_final(dm_at_t *at, int ok, int64_t now) {
  uint8_t kind = at->inflight;
  if (!ok) at->stats[DM_SMS_STAT_ERRORS]++;
  if (at->expect_pdu == DM_AT_CMD_CMGR) { /* +CMGR: header without its PDU line */
    at->stats[DM_SMS_STAT_BAD_PDU]++;
    at->expect_pdu = 0;
  }
  at->deadline_ms = -1;
  if (at->phase == DM_AT_PHASE_INIT) {
    if (ok) {
      if (kind == DM_AT_CMD_CSMS) at->ack = at->csms_mt != 0; /* OK without +CSMS: line: service 1 accepted */
      at->inflight = 0;
      at->init_step++;
    } else if (kind == DM_AT_CMD_CSMS) {
      at->ack = 0; /* phase 2 only: no acknowledgements */
      at->inflight = 0;
      at->init_step++;
    } else if (at->tries < DM_AT_MAX_TRIES) {
      at->tries++;
      at->stats[DM_SMS_STAT_RETRIES]++;
      at->backoff = 1;
      at->deadline_ms = now + (at->timeout_ms < DM_AT_RETRY_DELAY_MS ? at->timeout_ms : DM_AT_RETRY_DELAY_MS);
      return;
    } else if (kind == DM_AT_CMD_CNMI_DIRECT) {
      at->stored = 1; /* no direct routing on this modem: read from storage instead */
      at->inflight = 0;
    } else {
      prv_fail(at, -EPROTO);
      return;
    }
  } else {
    at->inflight = 0;
    if (kind == DM_AT_CMD_CMGR && ok) {
      /* Delete what we read before reading more, but after acknowledgements already waiting. */
      if (prv_push(at, DM_AT_CMD_CMGD, at->inflight_idx, 1) < 0) {
        at->stats[DM_SMS_STAT_DROPPED]++;
      } else {
        for (uint8_t k = 0; k + 1 < at->q_len; k++) {
          dm_at_cmd_t *a = &at->queue[(at->q_head + k) % DM_AT_QUEUE_MAX];
          dm_at_cmd_t *b = &at->queue[(at->q_head + k + 1) % DM_AT_QUEUE_MAX];
          if (b->kind != DM_AT_CMD_CNMA) break;
          dm_at_cmd_t t = *a;
          *a = *b;
          *b = t;
        }
      }
    }
  }
  prv_next(at, now);
}

static void prv_queue_ack(dm_at_t *at, int64_t now) {
  if (!at->ack) return;
  if (prv_push(at, DM_AT_CMD_CNMA, 0, 1) < 0) at->stats[DM_SMS_STAT_DROPPED]++;
  else at->stats[DM_SMS_STAT_ACKS]++;
  prv_next(at, now);
}

/* 1 when the line is made of hex digits only (trailing spaces allowed). */
static int prv_all_hex(const char *s, size_t n) {
  while (n > 0 && s[n - 1] == ' ') n--;
  for (size_t i = 0; i < n; i++)
    if (prv_hexval(s[i]) < 0) return 0;
  return n > 0;
}

/* Handles the line expected to carry a PDU. Returns 1 when the line was consumed as (a bad) PDU. */
static int prv_pdu_line(dm_at_t *at, const char *s, size_t n, int64_t now) {
  uint8_t from = at->expect_pdu;
  at->expect_pdu = 0;
  int len = dm_hex_decode(s, n, at->pdu, sizeof at->pdu);
  /* a header length of 0 (or out of range) means no TPDU can be valid: never hand out an SMSC-only PDU */
  int ok = at->expect_len >= 1 && len >= 2 && at->pdu[0] <= 11 && (size_t)len == 1u + at->pdu[0] + at->expect_len;
  if (from == DM_AT_CMD_CMT) prv_queue_ack(at, now);
  if (ok) {
    at->pdu_len = (uint16_t)len;
    at->pdu_ready = 1;
    return 1;
  }
  at->stats[DM_SMS_STAT_BAD_PDU]++;
  /* Not hex at all: maybe the PDU line went missing and this is a result code; look at it normally. */
  return prv_all_hex(s, n);
}

static void prv_line(dm_at_t *at, const char *s, size_t n, int64_t now) {
  if (at->expect_pdu && prv_pdu_line(at, s, n, now)) return;
  int awaiting = at->inflight && !at->backoff;
  if (prv_starts(s, n, "AT") || prv_starts(s, n, "at")) return; /* our command echoed */
  if (prv_is(s, n, "OK")) {
    if (awaiting) prv_final(at, 1, now);
    else at->stats[DM_SMS_STAT_IGNORED]++;
  } else if (prv_is(s, n, "ERROR") || prv_starts(s, n, "+CME ERROR:") || prv_starts(s, n, "+CMS ERROR:")) {
    if (awaiting) prv_final(at, 0, now);
    else at->stats[DM_SMS_STAT_IGNORED]++;
  } else if (prv_starts(s, n, "+CMT:")) {
    long len = prv_last_int(s, n);
    at->expect_pdu = DM_AT_CMD_CMT; /* a PDU line follows whatever the header says: consume it */
    at->expect_len = (uint16_t)(len >= 1 && len <= DM_SMS_TPDU_MAX ? len : 0);
  } else if (prv_starts(s, n, "+CMTI:")) {
    long idx = prv_last_int(s, n);
    if (idx < 0) at->stats[DM_SMS_STAT_IGNORED]++;
    else if (at->q_len >= DM_AT_QUEUE_MAX - DM_AT_QUEUE_RESERVED) at->stats[DM_SMS_STAT_DROPPED]++;
    else if (prv_push(at, DM_AT_CMD_CMGR, (uint16_t)idx, 0) < 0) at->stats[DM_SMS_STAT_DROPPED]++;
    else prv_next(at, now);
  } else if (prv_starts(s, n, "+CMGR:") && awaiting && at->inflight == DM_AT_CMD_CMGR) {
    long len = prv_last_int(s, n);
    at->expect_pdu = DM_AT_CMD_CMGR;
    at->expect_len = (uint16_t)(len >= 1 && len <= DM_SMS_TPDU_MAX ? len : 0);
  } else if (prv_starts(s, n, "+CSMS:") && awaiting && at->inflight == DM_AT_CMD_CSMS) {
    long mt = prv_first_int(s, n);
    at->csms_mt = (uint8_t)(mt == 1 ? 1 : 0);
  } else {
    at->stats[DM_SMS_STAT_IGNORED]++;
  }
}

/* ------------------------------------------------------------------ public */

void dm_at_init(dm_at_t *at, uint32_t flags, uint32_t timeout_ms, int64_t now_ms) {
  memset(at, 0, sizeof *at);
  at->flags = flags;
  at->timeout_ms = timeout_ms;
  at->stored = (flags & DM_SMS_F_STORED) ? 1 : 0;
  at->csms_mt = 0xff;
  at->deadline_ms = -1;
  prv_next(at, now_ms);
}

size_t dm_at_input(dm_at_t *at, const uint8_t *in, size_t len, int64_t now_ms) {
  size_t i = 0;
  if (at->pdu_ready || at->phase == DM_AT_PHASE_FAILED) return at->phase == DM_AT_PHASE_FAILED ? len : 0;
  at->sent = 0;
  while (i < len) {
    uint8_t c = in[i++];
    if (c == '\r' || c == '\n') {
      if (at->line_overflow) {
        at->line_overflow = 0;
        at->line_len = 0;
        continue;
      }
      if (at->line_len == 0) continue;
      size_t n = at->line_len;
      at->line_len = 0;
      prv_line(at, at->line, n, now_ms);
      if (at->phase == DM_AT_PHASE_FAILED) return len;
      if (at->pdu_ready || at->sent) return i;
      continue;
    }
    if (at->line_overflow) continue;
    if (at->line_len >= DM_AT_LINE_MAX) {
      at->line_overflow = 1;
      at->line_len = 0;
      at->stats[DM_SMS_STAT_OVERLONG]++;
      if (at->expect_pdu) { /* the PDU line itself was too long */
        uint8_t from = at->expect_pdu;
        at->expect_pdu = 0;
        at->stats[DM_SMS_STAT_BAD_PDU]++;
        if (from == DM_AT_CMD_CMT) prv_queue_ack(at, now_ms);
        if (at->sent) return i;
      }
      continue;
    }
    at->line[at->line_len++] = (char)c;
  }
  return i;
}

void dm_at_tick(dm_at_t *at, int64_t now_ms) {
  if (at->phase == DM_AT_PHASE_FAILED || !at->inflight || at->deadline_ms < 0 || now_ms < at->deadline_ms) {
    prv_next(at, now_ms);
    return;
  }
  if (at->backoff) { /* ERROR back-off over: re-send */
    prv_send(at, now_ms);
    return;
  }
  at->stats[DM_SMS_STAT_TIMEOUTS]++;
  if (at->expect_pdu == DM_AT_CMD_CMGR) at->expect_pdu = 0;
  if (at->tries < DM_AT_MAX_TRIES && at->inflight != DM_AT_CMD_CNMA) {
    at->tries++;
    at->stats[DM_SMS_STAT_RETRIES]++;
    prv_send(at, now_ms);
    return;
  }
  if (at->phase == DM_AT_PHASE_INIT) {
    if (at->inflight == DM_AT_CMD_CSMS) { /* silently unsupported: go on without acknowledgements */
      at->ack = 0;
      at->inflight = 0;
      at->init_step++;
      at->deadline_ms = -1;
      prv_next(at, now_ms);
      return;
    }
    prv_fail(at, -ETIMEDOUT);
    return;
  }
  at->inflight = 0; /* give up on this command; the dialogue goes on */
  at->deadline_ms = -1;
  prv_next(at, now_ms);
}

int dm_at_take_pdu(dm_at_t *at, uint8_t *out, size_t cap) {
  if (!at->pdu_ready) return 0;
  if (cap < at->pdu_len) return -ENOBUFS;
  memcpy(out, at->pdu, at->pdu_len);
  at->pdu_ready = 0;
  at->stats[DM_SMS_STAT_PDUS]++;
  return at->pdu_len;
}

size_t dm_at_output(const dm_at_t *at, const uint8_t **p) {
  *p = (const uint8_t *)at->tx + at->tx_off;
  return (size_t)(at->tx_len - at->tx_off);
}

void dm_at_output_done(dm_at_t *at, size_t n) {
  size_t left = (size_t)(at->tx_len - at->tx_off);
  at->tx_off = (uint8_t)(at->tx_off + (n > left ? left : n));
}

int64_t dm_at_deadline(const dm_at_t *at) {
  return (at->inflight && at->phase != DM_AT_PHASE_FAILED) ? at->deadline_ms : -1;
}

int dm_at_error(const dm_at_t *at) {
  return at->phase == DM_AT_PHASE_FAILED ? at->err : 0;
}

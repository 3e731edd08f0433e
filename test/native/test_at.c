/*
 * test_at.c — the AT dialogue state machine (native/core/at.c) without any I/O: scripted modem
 * transcripts fed whole, split at every byte and in every chunk size; init retries, timeouts and
 * fall-backs; +CMT / +CMTI delivery; acknowledgements; garbage, overlong and bad PDU lines.
 */
#include <errno.h>
#include <stdlib.h>

#include "../../native/core/dm_native.h"
#include "dm_test.h"

/* SMSC 07 91 13 26 04 00 00 F0 + the 74-byte SMS-DELIVER of omadm-1.2-facts.md §6.4 (WAP push to 2948). */
static const char PDU_HEX[] =
    "07911326040000F0"
    "440C914477000910320004521142214300003706050"
    "40B8423F0010603C4AF8789AC8C2925578DED4F1E161C20A6A88203180000001234126"
    "36F6D2E6D676D747372762E6D616E616765";
#define TPDU_LEN 74
#define PDU_LEN (8 + TPDU_LEN)

/* A second PDU (no SMSC: length octet 00), TPDU of 5 bytes. */
static const char PDU2_HEX[] = "000400000000";
#define PDU2_LEN 6

typedef struct {
  dm_at_t at;
  char sent[4096];
  size_t sent_len;
  int npdu;
  int pdu_len[8];
  uint8_t pdu[8][DM_SMS_PDU_MAX];
} drv_t;

static void drv_collect(drv_t *d) {
  const uint8_t *p;
  size_t n = dm_at_output(&d->at, &p);
  if (d->sent_len + n < sizeof d->sent) {
    memcpy(d->sent + d->sent_len, p, n);
    d->sent_len += n;
    d->sent[d->sent_len] = '\0';
  }
  dm_at_output_done(&d->at, n);
}

static void drv_init(drv_t *d, uint32_t flags, uint32_t timeout, int64_t now) {
  memset(d, 0, sizeof *d);
  dm_at_init(&d->at, flags, timeout, now);
  drv_collect(d);
}

static void drv_feed(drv_t *d, const char *s, size_t len, int64_t now) {
  size_t off = 0;
  for (int guard = 0; off < len && guard < 100000; guard++) {
    off += dm_at_input(&d->at, (const uint8_t *)s + off, len - off, now);
    if (d->npdu < 8) {
      int r = dm_at_take_pdu(&d->at, d->pdu[d->npdu], DM_SMS_PDU_MAX);
      if (r > 0) d->pdu_len[d->npdu++] = r;
    }
    drv_collect(d);
  }
  CHECK_EQ(off, len);
}

static void drv_feeds(drv_t *d, const char *s, int64_t now) { drv_feed(d, s, strlen(s), now); }

static void hex(const char *h, uint8_t *out) { CHECK(dm_hex_decode(h, strlen(h), out, DM_SMS_PDU_MAX) > 0); }

/* The full session transcript of a phase 2+ modem with direct routing, then one stored message. */
static char *session_transcript(void) {
  static char t[2048];
  snprintf(t, sizeof t,
           "ATE0\r\r\nOK\r\n"                  /* echo of ATE0, then its OK */
           "\r\nOK\r\n"                        /* AT+CMGF=0 */
           "\r\n+CSMS: 1,1,1\r\n\r\nOK\r\n"    /* AT+CSMS=1 */
           "\r\nOK\r\n"                        /* AT+CNMI=2,2,0,0,0 */
           "\r\n+CMT: ,%d\r\n%s\r\n"           /* direct delivery */
           "\r\nOK\r\n"                        /* AT+CNMA */
           "\r\nRING\r\n"                      /* unsolicited code we ignore */
           "\r\n+CMTI: \"SM\",5\r\n"           /* stored delivery */
           "\r\n+CMGR: 0,,5\r\n%s\r\n\r\nOK\r\n" /* AT+CMGR=5 */
           "\r\nOK\r\n",                       /* AT+CMGD=5 */
           TPDU_LEN, PDU_HEX, PDU2_HEX);
  return t;
}
static const char SESSION_SENT[] = "ATE0\rAT+CMGF=0\rAT+CSMS=1\rAT+CNMI=2,2,0,0,0\rAT+CNMA\rAT+CMGR=5\rAT+CMGD=5\r";

static void check_session(drv_t *d) {
  uint8_t p1[DM_SMS_PDU_MAX], p2[DM_SMS_PDU_MAX];
  hex(PDU_HEX, p1);
  hex(PDU2_HEX, p2);
  CHECK_STR(d->sent, SESSION_SENT);
  CHECK_EQ(d->npdu, 2);
  CHECK_EQ(d->pdu_len[0], PDU_LEN);
  CHECK_MEM(d->pdu[0], p1, PDU_LEN);
  CHECK_EQ(d->pdu_len[1], PDU2_LEN);
  CHECK_MEM(d->pdu[1], p2, PDU2_LEN);
  CHECK_EQ(d->at.phase, DM_AT_PHASE_RUN);
  CHECK_EQ(d->at.ack, 1);
  CHECK_EQ(d->at.stats[DM_SMS_STAT_PDUS], 2);
  CHECK_EQ(d->at.stats[DM_SMS_STAT_ACKS], 1);
  CHECK_EQ(d->at.stats[DM_SMS_STAT_IGNORED], 1);
  CHECK_EQ(d->at.stats[DM_SMS_STAT_BAD_PDU], 0);
  CHECK_EQ(d->at.stats[DM_SMS_STAT_ERRORS], 0);
  CHECK_EQ(dm_at_deadline(&d->at), -1);
}

static void test_session_whole(void) {
  drv_t d;
  drv_init(&d, DM_SMS_F_ACK, 1000, 0);
  drv_feeds(&d, session_transcript(), 0);
  check_session(&d);
}

static void test_session_split_every_byte(void) {
  const char *t = session_transcript();
  size_t len = strlen(t);
  static drv_t d;
  for (size_t k = 0; k <= len; k++) {
    int before = dm_test_failures;
    drv_init(&d, DM_SMS_F_ACK, 1000, 0);
    drv_feed(&d, t, k, 0);
    drv_feed(&d, t + k, len - k, 0);
    check_session(&d);
    if (dm_test_failures != before) {
      fprintf(stderr, "  (split at %zu)\n", k);
      return;
    }
  }
}

static void test_session_chunk_sizes(void) {
  const char *t = session_transcript();
  size_t len = strlen(t);
  static drv_t d;
  for (size_t chunk = 1; chunk <= 64; chunk++) {
    int before = dm_test_failures;
    drv_init(&d, DM_SMS_F_ACK, 1000, 0);
    for (size_t off = 0; off < len; off += chunk) drv_feed(&d, t + off, off + chunk > len ? len - off : chunk, 0);
    check_session(&d);
    if (dm_test_failures != before) {
      fprintf(stderr, "  (chunk %zu)\n", chunk);
      return;
    }
  }
}

static void test_init_no_ack_direct(void) {
  drv_t d;
  drv_init(&d, 0, 1000, 0);
  CHECK_STR(d.sent, "ATE0\r");
  CHECK_EQ(dm_at_deadline(&d.at), 1000);
  drv_feeds(&d, "\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n", 10);
  CHECK_STR(d.sent, "ATE0\rAT+CMGF=0\rAT+CNMI=2,2,0,0,0\r");
  CHECK_EQ(d.at.phase, DM_AT_PHASE_RUN);
  /* +CMT without phase 2+: no AT+CNMA */
  char buf[512];
  snprintf(buf, sizeof buf, "\r\n+CMT: \"alpha, with comma\",%d\r\n%s\r\n", TPDU_LEN, PDU_HEX);
  drv_feeds(&d, buf, 20);
  CHECK_EQ(d.npdu, 1);
  CHECK_STR(d.sent, "ATE0\rAT+CMGF=0\rAT+CNMI=2,2,0,0,0\r");
}

static void test_init_stored_mode(void) {
  drv_t d;
  drv_init(&d, DM_SMS_F_STORED | DM_SMS_F_ACK, 1000, 0);
  drv_feeds(&d, "\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n", 0);
  /* stored routing needs no acknowledgement: AT+CSMS is skipped */
  CHECK_STR(d.sent, "ATE0\rAT+CMGF=0\rAT+CNMI=2,1,0,0,0\r");
  CHECK_EQ(d.at.stored, 1);
  CHECK_EQ(d.at.ack, 0);
}

static void test_csms_error_means_no_ack(void) {
  drv_t d;
  char buf[512];
  drv_init(&d, DM_SMS_F_ACK, 1000, 0);
  drv_feeds(&d, "\r\nOK\r\n\r\nOK\r\n\r\n+CMS ERROR: 303\r\n\r\nOK\r\n", 0);
  CHECK_STR(d.sent, "ATE0\rAT+CMGF=0\rAT+CSMS=1\rAT+CNMI=2,2,0,0,0\r");
  CHECK_EQ(d.at.ack, 0);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_ERRORS], 1);
  snprintf(buf, sizeof buf, "\r\n+CMT: ,%d\r\n%s\r\n", TPDU_LEN, PDU_HEX);
  drv_feeds(&d, buf, 0);
  CHECK_EQ(d.npdu, 1);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_ACKS], 0);
}

static void test_csms_mt0_means_no_ack(void) {
  drv_t d;
  drv_init(&d, DM_SMS_F_ACK, 1000, 0);
  drv_feeds(&d, "\r\nOK\r\n\r\nOK\r\n\r\n+CSMS: 0,1,1\r\n\r\nOK\r\n\r\nOK\r\n", 0);
  CHECK_EQ(d.at.phase, DM_AT_PHASE_RUN);
  CHECK_EQ(d.at.ack, 0);
}

static void test_error_retry_then_fail(void) {
  drv_t d;
  drv_init(&d, 0, 1000, 0);
  drv_feeds(&d, "\r\nOK\r\n", 0);
  CHECK_STR(d.sent, "ATE0\rAT+CMGF=0\r");
  drv_feeds(&d, "\r\nERROR\r\n", 100);
  /* back-off before the re-send: nothing written yet, deadline = now + DM_AT_RETRY_DELAY_MS */
  CHECK_STR(d.sent, "ATE0\rAT+CMGF=0\r");
  CHECK_EQ(dm_at_deadline(&d.at), 100 + DM_AT_RETRY_DELAY_MS);
  /* a stray OK during the back-off is not taken as the answer */
  drv_feeds(&d, "\r\nOK\r\n", 200);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_IGNORED], 1);
  dm_at_tick(&d.at, 100 + DM_AT_RETRY_DELAY_MS - 1);
  drv_collect(&d);
  CHECK_STR(d.sent, "ATE0\rAT+CMGF=0\r");
  dm_at_tick(&d.at, 100 + DM_AT_RETRY_DELAY_MS);
  drv_collect(&d);
  CHECK_STR(d.sent, "ATE0\rAT+CMGF=0\rAT+CMGF=0\r");
  drv_feeds(&d, "\r\n+CME ERROR: 10\r\n", 700);
  dm_at_tick(&d.at, 700 + DM_AT_RETRY_DELAY_MS);
  drv_collect(&d);
  CHECK_STR(d.sent, "ATE0\rAT+CMGF=0\rAT+CMGF=0\rAT+CMGF=0\r");
  drv_feeds(&d, "\r\nERROR\r\n", 2000);
  CHECK_EQ(d.at.phase, DM_AT_PHASE_FAILED);
  CHECK_EQ(dm_at_error(&d.at), -EPROTO);
  CHECK_EQ(dm_at_deadline(&d.at), -1);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_ERRORS], 3);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_RETRIES], 2);
  /* a failed machine swallows input and sends nothing more */
  drv_feeds(&d, "\r\nOK\r\n\r\n+CMTI: \"SM\",1\r\n", 3000);
  dm_at_tick(&d.at, 100000);
  drv_collect(&d);
  CHECK_STR(d.sent, "ATE0\rAT+CMGF=0\rAT+CMGF=0\rAT+CMGF=0\r");
}

static void test_error_then_success(void) {
  drv_t d;
  drv_init(&d, 0, 1000, 0);
  drv_feeds(&d, "\r\n+CMS ERROR: 314\r\n", 0); /* SIM busy */
  dm_at_tick(&d.at, DM_AT_RETRY_DELAY_MS);
  drv_collect(&d);
  drv_feeds(&d, "\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n", 600);
  CHECK_STR(d.sent, "ATE0\rATE0\rAT+CMGF=0\rAT+CNMI=2,2,0,0,0\r");
  CHECK_EQ(d.at.phase, DM_AT_PHASE_RUN);
}

static void test_silent_modem_times_out(void) {
  drv_t d;
  drv_init(&d, DM_SMS_F_ACK, 300, 1000);
  CHECK_EQ(dm_at_deadline(&d.at), 1300);
  dm_at_tick(&d.at, 1299);
  drv_collect(&d);
  CHECK_STR(d.sent, "ATE0\r");
  int64_t now = 1000;
  for (int i = 0; i < 10 && dm_at_deadline(&d.at) >= 0; i++) {
    now = dm_at_deadline(&d.at);
    dm_at_tick(&d.at, now);
    drv_collect(&d);
  }
  CHECK_STR(d.sent, "ATE0\rATE0\rATE0\r"); /* DM_AT_MAX_TRIES attempts, no more */
  CHECK_EQ(now, 1900);
  CHECK_EQ(dm_at_error(&d.at), -ETIMEDOUT);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_TIMEOUTS], 3);
  CHECK_EQ(dm_at_deadline(&d.at), -1);
}

static void test_csms_silent_continues(void) {
  drv_t d;
  drv_init(&d, DM_SMS_F_ACK, 100, 0);
  drv_feeds(&d, "\r\nOK\r\n\r\nOK\r\n", 0);
  CHECK_STR(d.sent, "ATE0\rAT+CMGF=0\rAT+CSMS=1\r");
  for (int i = 0; i < 3; i++) {
    dm_at_tick(&d.at, dm_at_deadline(&d.at));
    drv_collect(&d);
  }
  CHECK_STR(d.sent, "ATE0\rAT+CMGF=0\rAT+CSMS=1\rAT+CSMS=1\rAT+CSMS=1\rAT+CNMI=2,2,0,0,0\r");
  CHECK_EQ(d.at.ack, 0);
  CHECK_EQ(d.at.phase, DM_AT_PHASE_INIT);
}

static void test_cnmi_direct_falls_back_to_stored(void) {
  drv_t d;
  drv_init(&d, 0, 1000, 0);
  drv_feeds(&d, "\r\nOK\r\n\r\nOK\r\n", 0);
  for (int i = 0; i < 3; i++) {
    drv_feeds(&d, "\r\nERROR\r\n", 0);
    if (i < 2) {
      dm_at_tick(&d.at, dm_at_deadline(&d.at));
      drv_collect(&d);
    }
  }
  CHECK_STR(d.sent, "ATE0\rAT+CMGF=0\rAT+CNMI=2,2,0,0,0\rAT+CNMI=2,2,0,0,0\rAT+CNMI=2,2,0,0,0\rAT+CNMI=2,1,0,0,0\r");
  drv_feeds(&d, "\r\nOK\r\n", 0);
  CHECK_EQ(d.at.phase, DM_AT_PHASE_RUN);
  CHECK_EQ(d.at.stored, 1);
}

static void test_garbage_and_overlong(void) {
  drv_t d;
  char big[DM_AT_LINE_MAX * 2 + 8];
  char buf[512];
  drv_init(&d, 0, 1000, 0);
  drv_feeds(&d, "\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n", 0);
  drv_feeds(&d, "\r\n+CREG: 1\r\nRING\r\n\x01\x02\xff garbage\r\n", 0);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_IGNORED], 3);
  memset(big, 'A', sizeof big);
  big[sizeof big - 2] = '\r';
  big[sizeof big - 1] = '\n';
  drv_feed(&d, big, sizeof big, 0);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_OVERLONG], 1);
  /* exactly DM_AT_LINE_MAX characters still fit */
  memset(big, 'B', DM_AT_LINE_MAX);
  big[DM_AT_LINE_MAX] = '\n';
  drv_feed(&d, big, DM_AT_LINE_MAX + 1, 0);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_OVERLONG], 1);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_IGNORED], 4);
  /* still working afterwards */
  snprintf(buf, sizeof buf, "\n+CMT: ,%d\n%s\n", TPDU_LEN, PDU_HEX);
  drv_feeds(&d, buf, 0);
  CHECK_EQ(d.npdu, 1);
}

static void test_bad_pdus(void) {
  drv_t d;
  char buf[512];
  drv_init(&d, DM_SMS_F_ACK, 1000, 0);
  drv_feeds(&d, "\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n", 0);
  CHECK_EQ(d.at.ack, 1);
  size_t sent0 = d.sent_len;
  /* length mismatch: header says 10, PDU has a 5-byte TPDU */
  drv_feeds(&d, "\r\n+CMT: ,10\r\n000400000000\r\n\r\nOK\r\n", 0);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_BAD_PDU], 1);
  /* odd number of digits */
  drv_feeds(&d, "\r\n+CMT: ,5\r\n00040000000\r\n\r\nOK\r\n", 0);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_BAD_PDU], 2);
  /* not hex at all: counted, then looked at as an ordinary line */
  drv_feeds(&d, "\r\n+CMT: ,5\r\nZZ TOP\r\n\r\nOK\r\n", 0);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_BAD_PDU], 3);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_IGNORED], 1);
  /* header without a length */
  drv_feeds(&d, "\r\n+CMT: nonsense\r\n000400000000\r\n\r\nOK\r\n", 0);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_BAD_PDU], 4);
  /* overlong PDU line */
  char big[DM_AT_LINE_MAX + 40];
  memset(big, '0', sizeof big);
  memcpy(big, "+CMT: ,5\r\n", 10);
  big[sizeof big - 1] = '\n';
  drv_feed(&d, big, sizeof big, 0);
  drv_feeds(&d, "\r\nOK\r\n", 0);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_BAD_PDU], 5);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_OVERLONG], 1);
  CHECK_EQ(d.npdu, 0);
  /* every +CMT was acknowledged all the same (otherwise the modem would stop routing) */
  CHECK_STR(d.sent + sent0, "AT+CNMA\rAT+CNMA\rAT+CNMA\rAT+CNMA\rAT+CNMA\r");
  CHECK_EQ(d.at.stats[DM_SMS_STAT_ACKS], 5);
  /* and a good one still goes through */
  snprintf(buf, sizeof buf, "\r\n+CMT: ,%d\r\n%s\r\n", TPDU_LEN, PDU_HEX);
  drv_feeds(&d, buf, 0);
  CHECK_EQ(d.npdu, 1);
}

static void test_stored_flow_and_queue(void) {
  drv_t d;
  char buf[8192];
  drv_init(&d, DM_SMS_F_STORED, 1000, 0);
  drv_feeds(&d, "\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n", 0);
  size_t sent0 = d.sent_len;
  /* 10 indications at once: one AT+CMGR in flight, DM_AT_QUEUE_MAX waiting, the rest dropped */
  size_t n = 0;
  for (int i = 1; i <= 10; i++) n += (size_t)snprintf(buf + n, sizeof buf - n, "+CMTI: \"SM\",%d\r\n", i);
  drv_feeds(&d, buf, 0);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_DROPPED], 10 - 1 - (DM_AT_QUEUE_MAX - DM_AT_QUEUE_RESERVED));
  CHECK_STR(d.sent + sent0, "AT+CMGR=1\r");
  /* AT+CMGR=1 → PDU + OK → AT+CMGD=1 first (delete before reading the next) → AT+CMGR=2 */
  snprintf(buf, sizeof buf, "\r\n+CMGR: 0,,%d\r\n%s\r\n\r\nOK\r\n", TPDU_LEN, PDU_HEX);
  drv_feeds(&d, buf, 0);
  CHECK_EQ(d.npdu, 1);
  CHECK_STR(d.sent + sent0, "AT+CMGR=1\rAT+CMGD=1\r");
  drv_feeds(&d, "\r\nOK\r\n", 0);
  CHECK_STR(d.sent + sent0, "AT+CMGR=1\rAT+CMGD=1\rAT+CMGR=2\r");
  /* empty slot: +CMS ERROR 321, no delete, next */
  drv_feeds(&d, "\r\n+CMS ERROR: 321\r\n", 0);
  CHECK_STR(d.sent + sent0, "AT+CMGR=1\rAT+CMGD=1\rAT+CMGR=2\rAT+CMGR=3\r");
  /* +CMGR header whose PDU line is missing before OK: bad PDU, still deleted */
  drv_feeds(&d, "\r\n+CMGR: 0,,5\r\n\r\nOK\r\n", 0);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_BAD_PDU], 1);
  CHECK_STR(d.sent + sent0, "AT+CMGR=1\rAT+CMGD=1\rAT+CMGR=2\rAT+CMGR=3\rAT+CMGD=3\r");
  /* a +CMGR: line nobody asked for is ignored */
  drv_feeds(&d, "\r\nOK\r\n", 0);
  uint32_t ign = d.at.stats[DM_SMS_STAT_IGNORED];
  drv_feeds(&d, "\r\n+CMGR: 0,,5\r\n", 0);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_IGNORED], ign);
}

static void test_runtime_timeouts(void) {
  drv_t d;
  drv_init(&d, DM_SMS_F_STORED, 100, 0);
  drv_feeds(&d, "\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n", 0);
  size_t sent0 = d.sent_len;
  drv_feeds(&d, "+CMTI: \"SM\",7\r\n+CMTI: \"SM\",8\r\n", 0);
  for (int i = 0; i < 3; i++) {
    dm_at_tick(&d.at, dm_at_deadline(&d.at));
    drv_collect(&d);
  }
  /* AT+CMGR=7 tried 3 times then dropped; the dialogue goes on with 8 */
  CHECK_STR(d.sent + sent0, "AT+CMGR=7\rAT+CMGR=7\rAT+CMGR=7\rAT+CMGR=8\r");
  CHECK_EQ(d.at.phase, DM_AT_PHASE_RUN);
  CHECK_EQ(d.at.stats[DM_SMS_STAT_TIMEOUTS], 3);
}

static void test_cnma_not_retried(void) {
  drv_t d;
  char buf[512];
  drv_init(&d, DM_SMS_F_ACK, 100, 0);
  drv_feeds(&d, "\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n", 0);
  size_t sent0 = d.sent_len;
  snprintf(buf, sizeof buf, "\r\n+CMT: ,%d\r\n%s\r\n", TPDU_LEN, PDU_HEX);
  drv_feeds(&d, buf, 0);
  CHECK_STR(d.sent + sent0, "AT+CNMA\r");
  dm_at_tick(&d.at, 100);
  drv_collect(&d);
  CHECK_STR(d.sent + sent0, "AT+CNMA\r");
  CHECK_EQ(dm_at_deadline(&d.at), -1);
}

static void test_take_pdu_small_buffer(void) {
  drv_t d;
  char buf[512];
  uint8_t small[10], full[DM_SMS_PDU_MAX];
  drv_init(&d, 0, 1000, 0);
  drv_feeds(&d, "\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n", 0);
  snprintf(buf, sizeof buf, "\r\n+CMT: ,%d\r\n%s\r\n\r\n+CMT: ,5\r\n%s\r\n", TPDU_LEN, PDU_HEX, PDU2_HEX);
  size_t used = dm_at_input(&d.at, (const uint8_t *)buf, strlen(buf), 0);
  CHECK(used < strlen(buf)); /* stopped after the first PDU */
  CHECK_EQ(dm_at_input(&d.at, (const uint8_t *)buf + used, strlen(buf) - used, 0), 0); /* not taken: nothing consumed */
  CHECK_EQ(dm_at_take_pdu(&d.at, small, sizeof small), -ENOBUFS);
  CHECK_EQ(dm_at_take_pdu(&d.at, full, sizeof full), PDU_LEN);
  CHECK_EQ(dm_at_take_pdu(&d.at, full, sizeof full), 0);
  used += dm_at_input(&d.at, (const uint8_t *)buf + used, strlen(buf) - used, 0);
  CHECK_EQ(dm_at_take_pdu(&d.at, full, sizeof full), PDU2_LEN);
  used += dm_at_input(&d.at, (const uint8_t *)buf + used, strlen(buf) - used, 0); /* the final LF */
  CHECK_EQ(used, strlen(buf));
}

static void test_hex_decode(void) {
  uint8_t out[4];
  CHECK_EQ(dm_hex_decode("00ff7Aa9", 8, out, 4), 4);
  CHECK_EQ(out[0], 0x00);
  CHECK_EQ(out[1], 0xff);
  CHECK_EQ(out[2], 0x7a);
  CHECK_EQ(out[3], 0xa9);
  CHECK_EQ(dm_hex_decode("00ff  ", 6, out, 4), 2); /* trailing spaces */
  CHECK_EQ(dm_hex_decode("0", 1, out, 4), -EINVAL);
  CHECK_EQ(dm_hex_decode("0g", 2, out, 4), -EINVAL);
  CHECK_EQ(dm_hex_decode("0011223344", 10, out, 4), -ENOBUFS);
  CHECK_EQ(dm_hex_decode("", 0, out, 4), 0);
}

/* Random garbage never crashes the machine, never overflows, and it keeps accepting good input. */
static void test_random_garbage(void) {
  static drv_t d;
  char buf[512];
  unsigned seed = 12345;
  for (int round = 0; round < 200; round++) {
    drv_init(&d, DM_SMS_F_ACK | (round & 1 ? DM_SMS_F_STORED : 0), 1000, 0);
    uint8_t junk[700];
    for (size_t i = 0; i < sizeof junk; i++) {
      seed = seed * 1103515245u + 12345u;
      uint8_t c = (uint8_t)(seed >> 16);
      /* bias towards interesting bytes */
      static const char pick[] = "\r\n+CMT: ,0123456789ABCDEF\"SM\"OKERROR";
      junk[i] = (c & 1) ? (uint8_t)pick[(c >> 1) % (sizeof pick - 1)] : c;
    }
    drv_feed(&d, (const char *)junk, sizeof junk, 0);
    dm_at_tick(&d.at, 500);
    drv_collect(&d);
  }
  /* a fresh healthy session after all that */
  drv_init(&d, 0, 1000, 0);
  drv_feeds(&d, "\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n", 0);
  snprintf(buf, sizeof buf, "\r\n+CMT: ,%d\r\n%s\r\n", TPDU_LEN, PDU_HEX);
  drv_feeds(&d, buf, 0);
  CHECK_EQ(d.npdu, 1);
}


/* A +CMT arriving while AT+CMGR is in flight: its AT+CNMA goes out before the AT+CMGD. */
static void test_ack_before_delete(void) {
  drv_t d;
  char buf[1024];
  drv_init(&d, DM_SMS_F_ACK, 1000, 0);
  drv_feeds(&d, "\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n", 0);
  size_t sent0 = d.sent_len;
  snprintf(buf, sizeof buf, "\r\n+CMTI: \"SM\",2\r\n\r\n+CMGR: 0,,%d\r\n%s\r\n\r\n+CMT: ,5\r\n%s\r\n\r\nOK\r\n",
           TPDU_LEN, PDU_HEX, PDU2_HEX);
  drv_feeds(&d, buf, 0);
  CHECK_EQ(d.npdu, 2);
  CHECK_STR(d.sent + sent0, "AT+CMGR=2\rAT+CNMA\r");
  drv_feeds(&d, "\r\nOK\r\n", 0);
  CHECK_STR(d.sent + sent0, "AT+CMGR=2\rAT+CNMA\rAT+CMGD=2\r");
}

int main(void) {
  RUN(test_hex_decode);
  RUN(test_session_whole);
  RUN(test_session_split_every_byte);
  RUN(test_session_chunk_sizes);
  RUN(test_init_no_ack_direct);
  RUN(test_init_stored_mode);
  RUN(test_csms_error_means_no_ack);
  RUN(test_csms_mt0_means_no_ack);
  RUN(test_error_retry_then_fail);
  RUN(test_error_then_success);
  RUN(test_silent_modem_times_out);
  RUN(test_csms_silent_continues);
  RUN(test_cnmi_direct_falls_back_to_stored);
  RUN(test_garbage_and_overlong);
  RUN(test_bad_pdus);
  RUN(test_stored_flow_and_queue);
  RUN(test_runtime_timeouts);
  RUN(test_cnma_not_retried);
  RUN(test_ack_before_delete);
  RUN(test_take_pdu_small_buffer);
  RUN(test_random_garbage);
  DONE();
}

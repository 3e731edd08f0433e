/*
 * test_sms.c — native/core/sms.c on a real pseudo-terminal (posix_openpt): termios setup, the init
 * dialogue against an in-process scripted modem on the master side, direct delivery written one
 * byte at a time (every read split by the real line discipline), stored delivery, ERROR and silent
 * modems (bounded retries), hang-up, argument errors; and native/core/wdp.c on loopback UDP.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "../../native/core/dm_native.h"
#include "dm_test.h"

static dm_ctx_t ctx;

static const char PDU_HEX[] =
    "07911326040000F0440C914477000910320004521142214300003706050"
    "40B8423F0010603C4AF8789AC8C2925578DED4F1E161C20A6A88203180000001234126"
    "36F6D2E6D676D747372762E6D616E616765";
#define PDU_LEN 82
#define TPDU_LEN 74

/* ------------------------------------------------------------------ in-process modem on the master side */
typedef struct {
  int fd;
  char slave[128];
  char in[512];
  size_t in_len;
  char log[8192]; /* every command received, each terminated by '\r' */
  size_t log_len;
  int silent;     /* never answer */
  int error_all;  /* answer ERROR to everything */
  int csms;       /* answer AT+CSMS=1 with +CSMS: 1,1,1 (else ERROR) */
  const char *stored_hex; /* message in storage slot 1 */
} modem_t;

static int modem_open(modem_t *m) {
  memset(m, 0, sizeof *m);
  m->fd = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (m->fd < 0 || grantpt(m->fd) < 0 || unlockpt(m->fd) < 0) return -1;
  if (ptsname_r(m->fd, m->slave, sizeof m->slave) != 0) return -1;
  return 0;
}

static void modem_say(modem_t *m, const char *s) {
  size_t n = strlen(s), done = 0;
  while (done < n) {
    ssize_t w = write(m->fd, s + done, n - done);
    if (w > 0) done += (size_t)w;
    else if (w < 0 && errno != EAGAIN && errno != EINTR) return;
  }
}

/* Reads what the client wrote and answers each complete command. */
static void modem_serve(modem_t *m) {
  for (;;) {
    ssize_t r = read(m->fd, m->in + m->in_len, sizeof m->in - m->in_len - 1);
    if (r <= 0) break;
    m->in_len += (size_t)r;
  }
  char *cr;
  while ((cr = memchr(m->in, '\r', m->in_len)) != NULL) {
    size_t n = (size_t)(cr - m->in);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "%.*s", (int)n, m->in);
    memmove(m->in, cr + 1, m->in_len - n - 1);
    m->in_len -= n + 1;
    if (m->log_len + n + 1 < sizeof m->log) {
      memcpy(m->log + m->log_len, cmd, n);
      m->log[m->log_len + n] = '\r';
      m->log_len += n + 1;
      m->log[m->log_len] = '\0';
    }
    if (m->silent) continue;
    if (m->error_all) {
      modem_say(m, "\r\nERROR\r\n");
    } else if (strcmp(cmd, "AT+CSMS=1") == 0) {
      modem_say(m, m->csms ? "\r\n+CSMS: 1,1,1\r\n\r\nOK\r\n" : "\r\nERROR\r\n");
    } else if (strcmp(cmd, "AT+CMGR=1") == 0 && m->stored_hex) {
      char buf[512];
      snprintf(buf, sizeof buf, "\r\n+CMGR: 0,,%zu\r\n%s\r\n\r\nOK\r\n", strlen(m->stored_hex) / 2 - 8, m->stored_hex);
      modem_say(m, buf);
      m->stored_hex = NULL;
    } else if (strncmp(cmd, "AT+CMGR=", 8) == 0) {
      modem_say(m, "\r\n+CMS ERROR: 321\r\n");
    } else {
      modem_say(m, "\r\nOK\r\n");
    }
  }
}

/* Event loop: waits on the tty and the master, polls the client, serves the modem, until the client
 * returns non-zero or `budget_ms` elapse. Returns the last dm_sms_poll result. */
static int run_until(uint32_t h, modem_t *m, uint8_t *pdu, int budget_ms) {
  int64_t end = dm_now_ms() + budget_ms;
  int fd = dm_handle_fd(&ctx, h);
  for (;;) {
    int r = dm_sms_poll(&ctx, h, pdu, DM_SMS_PDU_MAX);
    if (m) modem_serve(m);
    if (r != 0) return r;
    int64_t left = end - dm_now_ms();
    if (left <= 0) return 0;
    int wait = dm_sms_wait(&ctx, h);
    if (wait < 0 || wait > left) wait = (int)left;
    struct pollfd p[2] = {{fd, POLLIN, 0}, {m ? m->fd : -1, POLLIN, 0}};
    poll(p, 2, wait);
  }
}

static int wait_readable(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, ms);
}

/* Brings a fresh client up to the running state; returns the handle. */
static int bring_up(modem_t *m, uint32_t flags) {
  uint8_t pdu[DM_SMS_PDU_MAX];
  int h = dm_sms_open(&ctx, m->slave, flags, 2000);
  CHECK(h > 0);
  if (h <= 0) return h;
  for (int i = 0; i < 50; i++) {
    run_until((uint32_t)h, m, pdu, 20);
    if (ctx.sms[h & 0xff].at.phase != DM_AT_PHASE_INIT) break;
  }
  CHECK_EQ(ctx.sms[h & 0xff].at.phase, DM_AT_PHASE_RUN);
  return h;
}

static uint32_t stat_of(int h, int idx) {
  uint8_t b[4 * DM_SMS_STAT_COUNT];
  CHECK_EQ(dm_sms_stats(&ctx, (uint32_t)h, b, sizeof b), sizeof b);
  return (uint32_t)b[4 * idx] | (uint32_t)b[4 * idx + 1] << 8 | (uint32_t)b[4 * idx + 2] << 16 | (uint32_t)b[4 * idx + 3] << 24;
}

static void test_termios_and_direct_delivery_byte_by_byte(void) {
  modem_t m;
  uint8_t pdu[DM_SMS_PDU_MAX], want[DM_SMS_PDU_MAX];
  CHECK_EQ(modem_open(&m), 0);
  m.csms = 1;
  int h = bring_up(&m, DM_SMS_F_ACK);
  CHECK_STR(m.log, "ATE0\rAT+CMGF=0\rAT+CSMS=1\rAT+CNMI=2,2,0,0,0\r");
  CHECK_EQ(stat_of(h, DM_SMS_STAT_ACK_MODE), 1);
  int fd = dm_handle_fd(&ctx, (uint32_t)h);
  CHECK(fd >= 0);
  struct termios t;
  CHECK_EQ(tcgetattr(fd, &t), 0);
  CHECK((t.c_lflag & (ICANON | ECHO | ISIG)) == 0);
  CHECK((t.c_iflag & (ICRNL | IXON)) == 0);
  CHECK((t.c_oflag & OPOST) == 0);
  CHECK_EQ(cfgetospeed(&t), B115200);
  CHECK_EQ(t.c_cc[VMIN], 1);
  CHECK_EQ(dm_sms_wait(&ctx, (uint32_t)h), -1); /* nothing in flight: only readability matters */
  /* +CMT written one byte at a time: each byte is its own read on the slave side */
  char msg[512];
  snprintf(msg, sizeof msg, "\r\n+CMT: ,%d\r\n%s\r\n", TPDU_LEN, PDU_HEX);
  size_t n = strlen(msg);
  int got = 0, early = 0;
  for (size_t i = 0; i < n; i++) {
    CHECK_EQ(write(m.fd, msg + i, 1), 1);
    CHECK_EQ(wait_readable(fd, 2000), 1);
    int r = dm_sms_poll(&ctx, (uint32_t)h, pdu, sizeof pdu);
    if (r > 0 && i + 2 < n) early++;
    if (r > 0) got = r;
  }
  CHECK_EQ(early, 0);
  CHECK_EQ(got, PDU_LEN);
  CHECK_EQ(dm_hex_decode(PDU_HEX, strlen(PDU_HEX), want, sizeof want), PDU_LEN);
  CHECK_MEM(pdu, want, PDU_LEN);
  /* the acknowledgement went out and was answered */
  run_until((uint32_t)h, &m, pdu, 50);
  CHECK(strstr(m.log, "AT+CNMA\r") != NULL);
  CHECK_EQ(stat_of(h, DM_SMS_STAT_PDUS), 1);
  CHECK_EQ(stat_of(h, DM_SMS_STAT_ACKS), 1);
  CHECK_EQ(stat_of(h, DM_SMS_STAT_STATE), DM_AT_PHASE_RUN);
  /* a too small buffer keeps the PDU for the next call */
  modem_say(&m, msg);
  CHECK_EQ(wait_readable(fd, 2000), 1);
  int r = 0;
  for (int i = 0; i < 100 && r == 0; i++) {
    r = dm_sms_poll(&ctx, (uint32_t)h, pdu, 10);
    if (r == 0) wait_readable(fd, 20);
  }
  CHECK_EQ(r, -ENOBUFS);
  CHECK_EQ(dm_sms_wait(&ctx, (uint32_t)h), 0);
  CHECK_EQ(dm_sms_poll(&ctx, (uint32_t)h, pdu, sizeof pdu), PDU_LEN);
  /* hang-up: the modem side goes away */
  close(m.fd);
  CHECK_EQ(wait_readable(fd, 2000), 1);
  r = dm_sms_poll(&ctx, (uint32_t)h, pdu, sizeof pdu);
  CHECK(r == -EIO || r == -EPIPE);
  CHECK_EQ(dm_close(&ctx, (uint32_t)h), 0);
  CHECK_EQ(dm_close(&ctx, (uint32_t)h), 0);
  CHECK_EQ(dm_sms_poll(&ctx, (uint32_t)h, pdu, sizeof pdu), -EBADF);
  CHECK_EQ(dm_sms_wait(&ctx, (uint32_t)h), -EBADF);
  CHECK_EQ(dm_handle_fd(&ctx, (uint32_t)h), -EBADF);
}

static void test_stored_delivery(void) {
  modem_t m;
  uint8_t pdu[DM_SMS_PDU_MAX];
  CHECK_EQ(modem_open(&m), 0);
  int h = bring_up(&m, DM_SMS_F_STORED);
  CHECK_EQ(stat_of(h, DM_SMS_STAT_STORED_MODE), 1);
  m.stored_hex = PDU_HEX;
  modem_say(&m, "\r\n+CMTI: \"SM\",1\r\n");
  CHECK_EQ(run_until((uint32_t)h, &m, pdu, 2000), PDU_LEN);
  run_until((uint32_t)h, &m, pdu, 50);
  CHECK_STR(m.log, "ATE0\rAT+CMGF=0\rAT+CNMI=2,1,0,0,0\rAT+CMGR=1\rAT+CMGD=1\r");
  /* an indication for an empty slot: +CMS ERROR, nothing delivered, nothing deleted */
  modem_say(&m, "\r\n+CMTI: \"SM\",4\r\n");
  CHECK_EQ(run_until((uint32_t)h, &m, pdu, 100), 0);
  CHECK(strstr(m.log, "AT+CMGR=4\r") != NULL);
  CHECK(strstr(m.log, "AT+CMGD=4\r") == NULL);
  CHECK_EQ(stat_of(h, DM_SMS_STAT_ERRORS), 1);
  dm_close(&ctx, (uint32_t)h);
  close(m.fd);
}

static void test_silent_modem(void) {
  modem_t m;
  uint8_t pdu[DM_SMS_PDU_MAX];
  CHECK_EQ(modem_open(&m), 0);
  m.silent = 1;
  int h = dm_sms_open(&ctx, m.slave, 0, 30);
  CHECK(h > 0);
  CHECK(dm_sms_wait(&ctx, (uint32_t)h) > 0);
  int r = run_until((uint32_t)h, &m, pdu, 5000);
  CHECK_EQ(r, -ETIMEDOUT);
  CHECK_STR(m.log, "ATE0\rATE0\rATE0\r");
  CHECK_EQ(stat_of(h, DM_SMS_STAT_TIMEOUTS), DM_AT_MAX_TRIES);
  CHECK_EQ(stat_of(h, DM_SMS_STAT_STATE), DM_AT_PHASE_FAILED);
  CHECK_EQ(dm_sms_wait(&ctx, (uint32_t)h), 0); /* failed: poll now to see the error */
  CHECK_EQ(dm_sms_poll(&ctx, (uint32_t)h, pdu, sizeof pdu), -ETIMEDOUT); /* stays failed */
  dm_close(&ctx, (uint32_t)h);
  close(m.fd);
}

static void test_error_modem(void) {
  modem_t m;
  uint8_t pdu[DM_SMS_PDU_MAX];
  CHECK_EQ(modem_open(&m), 0);
  m.error_all = 1;
  int h = dm_sms_open(&ctx, m.slave, 0, 100);
  CHECK(h > 0);
  CHECK_EQ(run_until((uint32_t)h, &m, pdu, 5000), -EPROTO);
  CHECK_STR(m.log, "ATE0\rATE0\rATE0\r");
  dm_close(&ctx, (uint32_t)h);
  close(m.fd);
}

static void test_open_errors(void) {
  uint8_t pdu[DM_SMS_PDU_MAX];
  CHECK_EQ(dm_sms_open(&ctx, "/nonexistent/tty", 0, 0), -ENOENT);
  CHECK_EQ(dm_sms_open(&ctx, "/dev/null", 0x100, 0), -EINVAL);
  CHECK_EQ(dm_sms_open(&ctx, "/dev/null", 0, DM_AT_MAX_TIMEOUT_MS + 1), -EINVAL);
  /* not a tty: used as is; end of file reads as a hang-up */
  int h = dm_sms_open(&ctx, "/dev/null", 0, 0);
  CHECK(h > 0);
  CHECK_EQ(dm_sms_poll(&ctx, (uint32_t)h, pdu, sizeof pdu), -EPIPE);
  int h2 = dm_sms_open(&ctx, "/dev/null", 0, 0);
  CHECK(h2 > 0);
  CHECK_EQ(dm_sms_open(&ctx, "/dev/null", 0, 0), -EMFILE);
  dm_close(&ctx, (uint32_t)h);
  dm_close(&ctx, (uint32_t)h2);
}

static void test_wdp(void) {
  uint8_t buf[DM_WDP_MAX_DATAGRAM];
  int h = dm_wdp_open(&ctx, 0, DM_WDP_F_LOOPBACK);
  CHECK(h > 0);
  int port = dm_wdp_port(&ctx, (uint32_t)h);
  CHECK(port > 0);
  CHECK_EQ(dm_wdp_recv(&ctx, (uint32_t)h, buf, sizeof buf), 0); /* nothing yet */
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  static const uint8_t push[] = {0x01, 0x06, 0x03, 0xc4, 0xaf, 0x87, 0x89, 0xac};
  uint8_t big[64];
  memset(big, 0x5a, sizeof big);
  CHECK_EQ(sendto(s, "", 0, 0, (struct sockaddr *)&a, sizeof a), 0);       /* empty: skipped */
  CHECK_EQ(sendto(s, big, sizeof big, 0, (struct sockaddr *)&a, sizeof a), 64); /* too big for 16 */
  CHECK_EQ(sendto(s, push, sizeof push, 0, (struct sockaddr *)&a, sizeof a), 8);
  int fd = dm_handle_fd(&ctx, (uint32_t)h);
  CHECK_EQ(wait_readable(fd, 2000), 1);
  CHECK_EQ(dm_wdp_recv(&ctx, (uint32_t)h, buf, 16), -EMSGSIZE);
  CHECK_EQ(dm_wdp_recv(&ctx, (uint32_t)h, buf, 16), 8);
  CHECK_MEM(buf, push, 8);
  CHECK_EQ(dm_wdp_recv(&ctx, (uint32_t)h, buf, 16), 0);
  close(s);
  CHECK_EQ(dm_wdp_open(&ctx, (uint32_t)port, DM_WDP_F_LOOPBACK), -EADDRINUSE);
  CHECK_EQ(dm_wdp_open(&ctx, 70000, 0), -EINVAL);
  CHECK_EQ(dm_wdp_open(&ctx, 0, 0x8), -EINVAL);
  CHECK_EQ(dm_close(&ctx, (uint32_t)h), 0);
  CHECK_EQ(dm_wdp_recv(&ctx, (uint32_t)h, buf, 16), -EBADF);
  CHECK_EQ(dm_wdp_port(&ctx, (uint32_t)h), -EBADF);
}

int main(void) {
  dm_ctx_init(&ctx);
  RUN(test_termios_and_direct_delivery_byte_by_byte);
  RUN(test_stored_delivery);
  RUN(test_silent_modem);
  RUN(test_error_modem);
  RUN(test_open_errors);
  RUN(test_wdp);
  dm_ctx_close_all(&ctx);
  DONE();
}

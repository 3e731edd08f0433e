/*
 * modem-sim — a GSM modem on a real pseudo-terminal, for tests and `make demo`.
 *
 * It opens a pty pair (posix_openpt/grantpt/unlockpt), prints the slave path, and speaks enough
 * of 3GPP TS 27.005/27.007 over the master side to act as the modem the SMS source talks to.
 * Messages to deliver come on a control channel (stdin, and/or a FIFO), one command per line.
 * It shares no code with native/core on purpose: it is the independent peer of the AT machine.
 *
 * usage: modem-sim [options]
 *   --link PATH     make PATH a symlink to the slave pty (replaced; removed at exit)
 *   --fifo PATH     also read control commands from the FIFO PATH (created if missing); with a
 *                   FIFO, end of stdin no longer stops the simulator
 *   --log FILE      append every AT command received to FILE, one per line
 *   --tpdu          control hex is a bare TPDU: the simulator prepends an empty SMSC address (00)
 *   --no-csms       AT+CSMS=1 answers ERROR (a phase 2 modem: no acknowledgements)
 *   --no-direct     AT+CNMI with <mt>=2 answers ERROR (no direct routing: messages are stored)
 *   --silent        never answer (a modem that is dead or on the wrong port)
 *   --split         write output one byte per write(), 1 ms apart (the client sees split reads)
 *   --no-echo       start with command echo off (a real modem starts with ATE1)
 *   --ack-timeout MS  a +CMT not acknowledged (AT+CNMA) within MS ms is reported as ACK-MISSING
 *                   (default 5000; only while acknowledgements are on: AT+CSMS=1)
 *
 * Control commands (stdin or FIFO, one per line; HEX = the PDU with its SMSC address, or the TPDU
 * with --tpdu):
 *   sms HEX | HEX   deliver the way the client asked with AT+CNMI: <mt>=2 → +CMT, <mt>=1 → store and
 *                   announce with +CMTI, otherwise store silently
 *   cmt HEX         deliver directly (+CMT: ,<len> + PDU line) whatever the configuration
 *   cmti HEX        store in the first free slot (1..16) and announce with +CMTI: "SM",<idx>
 *   raw TEXT        write "\r\nTEXT\r\n" (unsolicited codes, garbage)
 *   rawhex HEX      write exactly these bytes
 *   silent on|off   stop / resume answering;  split on|off;  echo on|off
 *   fail PREFIX N   answer ERROR to the next N commands starting with PREFIX (case-insensitive)
 *   status          print a STATUS line;   quit   exit
 *
 * Events on stdout, one line each (flushed at once):
 *   PTY <slave>               once, first, when the modem is ready
 *   AT <command>              every command received (after echo handling)
 *   DELIVER cmt <len>         a +CMT was written (<len> = TPDU octets)
 *   DELIVER cmti <idx> <len>  a message was stored and announced
 *   STORED <idx> <len>        a message was stored without announcement
 *   READ <idx> / DELETED <idx>  AT+CMGR / AT+CMGD of a stored message
 *   ACK                       AT+CNMA for a +CMT that needed it
 *   ACK-MISSING               a +CMT that needed AT+CNMA did not get it in time
 *   STATUS echo=E cmgf=F csms=S mt=M stored=N acks=A missing=X commands=C
 *   ERR <text>                a bad control command (the simulator goes on)
 * Exit status: 0 on quit / end of input / SIGTERM, 2 on bad usage, 1 on a setup error.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 16
#define MAX_PDU 200        /* octets, SMSC included */
#define CMD_MAX 512        /* longest AT command line kept */
#define CTL_MAX 4096       /* longest control line */
#define MAX_FAILS 8

typedef struct {
  int used, unread;
  size_t len;              /* octets incl. SMSC */
  char hex[2 * MAX_PDU + 3];
} slot_t;

static struct {
  int master, slave;
  char slave_path[128];
  const char *link, *fifo_path, *log_path;
  FILE *log;
  int tpdu, no_csms, no_direct, silent, split, echo;
  int cmgf, csms, cnmi_mt;
  long ack_timeout_ms;
  long long ack_deadline; /* ms; 0 = no acknowledgement outstanding */
  unsigned acks, missing, commands;
  slot_t slot[SLOTS];
  struct { char prefix[32]; int n; } fail[MAX_FAILS];
  char cmd[CMD_MAX + 1];
  size_t cmd_len;
  int cmd_overlong;
} m;

static volatile sig_atomic_t stop;

static void on_signal(int s) { (void)s; stop = 1; }

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void event(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

/* Writes to the master; waits up to 5 s for room (a client that does not read), then gives up. */
static void out_bytes(const char *p, size_t n) {
  size_t done = 0;
  long long give_up = now_ms() + 5000;
  while (done < n) {
    size_t chunk = m.split ? 1 : n - done;
    ssize_t w = write(m.master, p + done, chunk);
    if (w > 0) {
      done += (size_t)w;
      if (m.split) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
      }
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno != EAGAIN) return;
    if (now_ms() > give_up) {
      event("ERR output stalled: the client is not reading");
      return;
    }
    struct pollfd pf = {m.master, POLLOUT, 0};
    poll(&pf, 1, 100);
  }
}

static void out(const char *s) { out_bytes(s, strlen(s)); }

static void outf(const char *fmt, ...) {
  char buf[2 * MAX_PDU + 128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  out(buf);
}

/* ------------------------------------------------------------------ PDUs from the control channel */

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = tolower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Validates HEX (after --tpdu prefixing) into an upper-case PDU; returns its octet count or -1. */
static int parse_pdu(const char *in, char *hex_out, size_t *tpdu_len) {
  char tmp[2 * MAX_PDU + 3];
  size_t n = 0;
  if (m.tpdu) {
    tmp[n++] = '0';
    tmp[n++] = '0';
  }
  for (const char *p = in; *p; p++) {
    if (isspace((unsigned char)*p)) continue;
    if (hexval((unsigned char)*p) < 0 || n >= sizeof tmp - 1) return -1;
    tmp[n++] = (char)toupper((unsigned char)*p);
  }
  tmp[n] = '\0';
  if (n % 2 != 0 || n < 4) return -1;
  size_t octets = n / 2;
  size_t smsc = (size_t)(hexval(tmp[0]) * 16 + hexval(tmp[1]));
  if (octets > MAX_PDU || smsc + 2 > octets) return -1;
  *tpdu_len = octets - 1 - smsc;
  memcpy(hex_out, tmp, n + 1);
  return (int)octets;
}

static void deliver_cmt(const char *hex, size_t tpdu_len) {
  if (m.ack_deadline) {
    m.missing++;
    m.ack_deadline = 0;
    event("ACK-MISSING");
  }
  outf("\r\n+CMT: ,%zu\r\n%s\r\n", tpdu_len, hex);
  if (m.csms == 1) m.ack_deadline = now_ms() + m.ack_timeout_ms;
  event("DELIVER cmt %zu", tpdu_len);
}

static int store(const char *hex, int octets) {
  for (int i = 0; i < SLOTS; i++) {
    if (m.slot[i].used) continue;
    m.slot[i].used = 1;
    m.slot[i].unread = 1;
    m.slot[i].len = (size_t)octets;
    snprintf(m.slot[i].hex, sizeof m.slot[i].hex, "%s", hex);
    return i + 1;
  }
  return -1;
}

static void control(char *line) {
  char *arg = line;
  while (*arg && !isspace((unsigned char)*arg)) arg++;
  if (*arg) *arg++ = '\0';
  while (isspace((unsigned char)*arg)) arg++;
  const char *verb = line;
  char hex[2 * MAX_PDU + 3];
  size_t tpdu_len;
  if (*verb == '\0') return;
  int all_hex = strlen(verb) > 3 && *arg == '\0';
  for (const char *p = verb; all_hex && *p; p++) all_hex = hexval((unsigned char)*p) >= 0;
  if (all_hex) {
    arg = (char *)verb; /* a bare HEX line: like "sms HEX" */
    verb = "sms";
  }
  if (!strcmp(verb, "sms") || !strcmp(verb, "cmt") || !strcmp(verb, "cmti")) {
    int octets = parse_pdu(arg, hex, &tpdu_len);
    if (octets < 0) {
      event("ERR bad PDU hex (need [SMSC]+TPDU, even length, <= %d octets)", MAX_PDU);
      return;
    }
    int mode = !strcmp(verb, "cmt") ? 2 : !strcmp(verb, "cmti") ? 1 : m.cnmi_mt;
    if (mode == 2) {
      deliver_cmt(hex, tpdu_len);
      return;
    }
    int idx = store(hex, octets);
    if (idx < 0) {
      event("ERR storage full");
      return;
    }
    if (mode == 1) {
      outf("\r\n+CMTI: \"SM\",%d\r\n", idx);
      event("DELIVER cmti %d %zu", idx, tpdu_len);
    } else {
      event("STORED %d %zu", idx, tpdu_len);
    }
  } else if (!strcmp(verb, "raw")) {
    outf("\r\n%s\r\n", arg);
  } else if (!strcmp(verb, "rawhex")) {
    char bytes[CTL_MAX / 2];
    size_t n = 0;
    for (const char *p = arg; *p && n < sizeof bytes;) {
      if (isspace((unsigned char)*p)) { p++; continue; }
      int hi = hexval((unsigned char)p[0]), lo = p[1] ? hexval((unsigned char)p[1]) : -1;
      if (hi < 0 || lo < 0) { event("ERR bad hex"); return; }
      bytes[n++] = (char)(hi << 4 | lo);
      p += 2;
    }
    out_bytes(bytes, n);
  } else if (!strcmp(verb, "silent") || !strcmp(verb, "split") || !strcmp(verb, "echo")) {
    int on = !strcmp(arg, "on");
    if (!on && strcmp(arg, "off")) { event("ERR %s needs on|off", verb); return; }
    if (!strcmp(verb, "silent")) m.silent = on;
    else if (!strcmp(verb, "split")) m.split = on;
    else m.echo = on;
  } else if (!strcmp(verb, "fail")) {
    char prefix[32];
    int n = 0;
    if (sscanf(arg, "%31s %d", prefix, &n) != 2 || n < 0) { event("ERR usage: fail PREFIX N"); return; }
    for (int i = 0; i < MAX_FAILS; i++) {
      if (m.fail[i].n == 0 || !strcasecmp(m.fail[i].prefix, prefix)) {
        snprintf(m.fail[i].prefix, sizeof m.fail[i].prefix, "%s", prefix);
        m.fail[i].n = n;
        return;
      }
    }
    event("ERR too many fail rules");
  } else if (!strcmp(verb, "status")) {
    int stored = 0;
    for (int i = 0; i < SLOTS; i++) stored += m.slot[i].used;
    event("STATUS echo=%d cmgf=%d csms=%d mt=%d stored=%d acks=%u missing=%u commands=%u", m.echo, m.cmgf, m.csms,
          m.cnmi_mt, stored, m.acks, m.missing, m.commands);
  } else if (!strcmp(verb, "quit")) {
    stop = 1;
  } else {
    event("ERR unknown control command: %s", verb);
  }
}

/* ------------------------------------------------------------------ AT commands from the client */

static int take_fail(const char *cmd) {
  for (int i = 0; i < MAX_FAILS; i++) {
    size_t k = strlen(m.fail[i].prefix);
    if (m.fail[i].n > 0 && !strncasecmp(cmd, m.fail[i].prefix, k)) {
      m.fail[i].n--;
      return 1;
    }
  }
  return 0;
}

static void at_command(const char *cmd) {
  char up[CMD_MAX + 1];
  size_t n = strlen(cmd);
  for (size_t i = 0; i <= n; i++) up[i] = (char)toupper((unsigned char)cmd[i]);
  m.commands++;
  event("AT %s", cmd);
  if (m.log) {
    fprintf(m.log, "%s\n", cmd);
    fflush(m.log);
  }
  if (m.silent) return;
  if (take_fail(up)) {
    out("\r\nERROR\r\n");
    return;
  }
  int a = -1, b = -1;
  if (!strcmp(up, "AT")) {
    out("\r\nOK\r\n");
  } else if (!strcmp(up, "ATE0") || !strcmp(up, "ATE1")) {
    m.echo = up[3] == '1';
    out("\r\nOK\r\n");
  } else if (!strcmp(up, "AT+CMGF?")) {
    outf("\r\n+CMGF: %d\r\n\r\nOK\r\n", m.cmgf);
  } else if (sscanf(up, "AT+CMGF=%d", &a) == 1 && (a == 0 || a == 1)) {
    m.cmgf = a;
    out("\r\nOK\r\n");
  } else if (sscanf(up, "AT+CSMS=%d", &a) == 1 && (a == 0 || a == 1)) {
    if (a == 1 && m.no_csms) {
      out("\r\n+CMS ERROR: 303\r\n");
      return;
    }
    m.csms = a;
    out("\r\n+CSMS: 1,1,1\r\n\r\nOK\r\n");
  } else if (sscanf(up, "AT+CNMI=%d,%d", &a, &b) == 2 && b >= 0 && b <= 3) {
    if (b == 2 && m.no_direct) {
      out("\r\nERROR\r\n");
      return;
    }
    m.cnmi_mt = b;
    out("\r\nOK\r\n");
  } else if (sscanf(up, "AT+CMGR=%d", &a) == 1) {
    if (a < 1 || a > SLOTS || !m.slot[a - 1].used) {
      out("\r\n+CMS ERROR: 321\r\n");
      return;
    }
    slot_t *s = &m.slot[a - 1];
    size_t smsc = (size_t)(hexval(s->hex[0]) * 16 + hexval(s->hex[1]));
    outf("\r\n+CMGR: %d,,%zu\r\n%s\r\n\r\nOK\r\n", s->unread ? 0 : 1, s->len - 1 - smsc, s->hex);
    s->unread = 0;
    event("READ %d", a);
  } else if (sscanf(up, "AT+CMGD=%d", &a) == 1) {
    if (a >= 1 && a <= SLOTS && m.slot[a - 1].used) {
      m.slot[a - 1].used = 0;
      event("DELETED %d", a);
    }
    out("\r\nOK\r\n");
  } else if (!strcmp(up, "AT+CNMA")) {
    if (!m.ack_deadline) {
      out("\r\n+CMS ERROR: 340\r\n"); /* no +CNMA acknowledgement expected */
      return;
    }
    m.ack_deadline = 0;
    m.acks++;
    event("ACK");
    out("\r\nOK\r\n");
  } else {
    out("\r\nERROR\r\n");
  }
}

static void from_client(void) {
  char buf[256];
  for (;;) {
    ssize_t r = read(m.master, buf, sizeof buf);
    if (r <= 0) return;
    for (ssize_t i = 0; i < r; i++) {
      char c = buf[i];
      if (c == '\n') continue;
      if (c != '\r') {
        if (m.cmd_len < CMD_MAX) m.cmd[m.cmd_len++] = c;
        else m.cmd_overlong = 1;
        continue;
      }
      m.cmd[m.cmd_len] = '\0';
      if (m.echo && !m.silent) outf("%s\r", m.cmd); /* a real modem echoes the line it got */
      if (m.cmd_overlong) {
        if (!m.silent) out("\r\nERROR\r\n");
      } else if (m.cmd_len > 0) {
        at_command(m.cmd);
      }
      m.cmd_len = 0;
      m.cmd_overlong = 0;
    }
  }
}

/* ------------------------------------------------------------------ setup and the loop */

static void cleanup(void) {
  if (m.link) unlink(m.link);
}

static void usage(FILE *f) {
  fprintf(f, "usage: modem-sim [--link PATH] [--fifo PATH] [--log FILE] [--tpdu] [--no-csms] [--no-direct]\n"
             "                 [--silent] [--split] [--no-echo] [--ack-timeout MS]\n"
             "control (stdin/FIFO): sms|cmt|cmti HEX, HEX, raw TEXT, rawhex HEX, silent|split|echo on|off,\n"
             "                      fail PREFIX N, status, quit   (see the comment at the top of modem-sim.c)\n");
}

/* Reads control lines from fd into its buffer; returns -1 at end of input. */
static int read_control(int fd, char *buf, size_t *len) {
  char tmp[1024];
  ssize_t r = read(fd, tmp, sizeof tmp);
  if (r == 0) return -1;
  if (r < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
  for (ssize_t i = 0; i < r; i++) {
    if (tmp[i] == '\n') {
      buf[*len] = '\0';
      if (*len > 0 && buf[*len - 1] == '\r') buf[*len - 1] = '\0';
      if (*len <= CTL_MAX) control(buf);
      else event("ERR control line too long");
      *len = 0;
    } else if (*len <= CTL_MAX) {
      buf[(*len)++] = tmp[i];
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  m.echo = 1;
  m.ack_timeout_ms = 5000;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--link") && i + 1 < argc) m.link = argv[++i];
    else if (!strcmp(a, "--fifo") && i + 1 < argc) m.fifo_path = argv[++i];
    else if (!strcmp(a, "--log") && i + 1 < argc) m.log_path = argv[++i];
    else if (!strcmp(a, "--ack-timeout") && i + 1 < argc) m.ack_timeout_ms = atol(argv[++i]);
    else if (!strcmp(a, "--tpdu")) m.tpdu = 1;
    else if (!strcmp(a, "--no-csms")) m.no_csms = 1;
    else if (!strcmp(a, "--no-direct")) m.no_direct = 1;
    else if (!strcmp(a, "--silent")) m.silent = 1;
    else if (!strcmp(a, "--split")) m.split = 1;
    else if (!strcmp(a, "--no-echo")) m.echo = 0;
    else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
    else { usage(stderr); return 2; }
  }
  if (m.ack_timeout_ms <= 0) { usage(stderr); return 2; }
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);

  m.master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (m.master < 0 || grantpt(m.master) < 0 || unlockpt(m.master) < 0 ||
      ptsname_r(m.master, m.slave_path, sizeof m.slave_path) != 0) {
    perror("modem-sim: pty");
    return 1;
  }
  /* Hold the slave open: the pty then outlives client reconnects, and the master never reads EIO.
   * Raw mode before any client: no echo of our own output by the line discipline. */
  m.slave = open(m.slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  struct termios t;
  if (m.slave < 0 || tcgetattr(m.slave, &t) < 0) {
    perror("modem-sim: slave");
    return 1;
  }
  cfmakeraw(&t);
  tcsetattr(m.slave, TCSANOW, &t);
  if (m.log_path && !(m.log = fopen(m.log_path, "a"))) {
    perror("modem-sim: --log");
    return 1;
  }
  if (m.link) {
    unlink(m.link);
    if (symlink(m.slave_path, m.link) < 0) {
      perror("modem-sim: --link");
      return 1;
    }
  }
  int fifo = -1;
  if (m.fifo_path) {
    if (mkfifo(m.fifo_path, 0600) < 0 && errno != EEXIST) {
      perror("modem-sim: --fifo");
      cleanup();
      return 1;
    }
    /* O_RDWR: we are a writer too, so the FIFO never reports end of file when writers come and go. */
    fifo = open(m.fifo_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fifo < 0) {
      perror("modem-sim: --fifo");
      cleanup();
      return 1;
    }
  }
  event("PTY %s", m.slave_path);

  char in_buf[CTL_MAX + 2], fifo_buf[CTL_MAX + 2];
  size_t in_len = 0, fifo_len = 0;
  int in_open = 1;
  while (!stop) {
    struct pollfd pf[3] = {{m.master, POLLIN, 0}, {in_open ? 0 : -1, POLLIN, 0}, {fifo, POLLIN, 0}};
    int wait = -1;
    if (m.ack_deadline) {
      long long left = m.ack_deadline - now_ms();
      wait = left < 0 ? 0 : (int)left;
    }
    if (poll(pf, 3, wait) < 0 && errno != EINTR) break;
    if (pf[0].revents) from_client();
    if (pf[1].revents && read_control(0, in_buf, &in_len) < 0) {
      in_open = 0;
      if (fifo < 0) break; /* end of input: done */
    }
    if (fifo >= 0 && pf[2].revents) read_control(fifo, fifo_buf, &fifo_len);
    if (m.ack_deadline && now_ms() >= m.ack_deadline) {
      m.ack_deadline = 0;
      m.missing++;
      event("ACK-MISSING");
    }
  }
  cleanup();
  return 0;
}

/*
 * dm_native.h — the portable native core of omadm: SMS modem on a tty (AT dialogue), WDP over UDP,
 * flash backends (file, block device, MTD, simulated NOR/NAND with power-cut hooks), durable file
 * I/O for QuickJS, monotonic clock and random bytes.
 *
 * Contract for every dm_* function below:
 * - Pure C, no JavaScript header. Result is an int >= 0 on success or -errno (e.g. -EIO, -ENOSPC).
 *   The two bindings (native/node, native/quickjs) map -errno to a typed JS error.
 * - Every call does bounded work: one erase block, one PDU, a few reads of a bounded buffer.
 *   No call blocks on a device except the durable-sync calls (fdatasync) which block by design.
 * - State lives in a caller-owned dm_ctx_t (the binding allocates one per JS environment/runtime);
 *   OS resources (tty, socket, device, file) are handles in that table. There are no globals.
 * - Handles are positive int32 values: kind (bits 24..27) | generation (bits 8..23) | slot (0..7).
 *   A closed or stale handle fails with -EBADF; dm_close() on it returns 0 (idempotent).
 * - Buffers are caller-owned (pointer + length); the core never keeps a pointer after returning.
 */
#ifndef DM_NATIVE_H
#define DM_NATIVE_H

#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ version */
/** Bumped when a signature, a constant or a layout below changes incompatibly. */
#define DM_NATIVE_ABI 1

/* ------------------------------------------------------------------ handle table sizes */
#define DM_MAX_SMS 2     /**< open modem ttys per context */
#define DM_MAX_WDP 2     /**< open WDP (UDP) sockets per context */
#define DM_MAX_FLASH 4   /**< open flash devices per context */
#define DM_MAX_FILE 16   /**< open files per context */

/** Handle kinds (bits 24..27 of a handle). */
enum { DM_KIND_SMS = 1, DM_KIND_WDP = 2, DM_KIND_FLASH = 3, DM_KIND_FILE = 4 };

/* ------------------------------------------------------------------ SMS (AT dialogue) */
/** dm_sms_open flags. */
#define DM_SMS_F_STORED 0x1u     /**< route new messages to storage (+CMTI → AT+CMGR/AT+CMGD) instead of +CMT */
#define DM_SMS_F_ACK 0x2u        /**< ask for phase 2+ (AT+CSMS=1) and acknowledge +CMT with AT+CNMA when required */
#define DM_SMS_F_KEEP_SPEED 0x4u /**< leave the tty line speed as it is (default: 115200 baud) */
#define DM_SMS_F_ALL 0x7u

/** Default time to wait for the final result of one AT command (ms); dm_sms_open(timeout_ms = 0). */
#define DM_AT_DEFAULT_TIMEOUT_MS 5000u
/** Longest accepted timeout (ms). */
#define DM_AT_MAX_TIMEOUT_MS 600000u
/** Attempts per AT command (1 try + 2 retries) before init fails or a command is dropped. */
#define DM_AT_MAX_TRIES 3
/** Pause before re-sending an init command that got ERROR (e.g. +CMS ERROR: 314 SIM busy), ms (capped at the timeout). */
#define DM_AT_RETRY_DELAY_MS 500u
/** Bounded line buffer: longer lines are discarded (counted in DM_SMS_STAT_OVERLONG). */
#define DM_AT_LINE_MAX 512
/** Commands waiting to be sent (AT+CMGR/AT+CMGD/AT+CNMA); more are dropped (DM_SMS_STAT_DROPPED). */
#define DM_AT_QUEUE_MAX 8
/** Queue slots kept free of AT+CMGR for the acknowledgements and deletes that must not be dropped. */
#define DM_AT_QUEUE_RESERVED 2
/** Largest PDU handed out: SMSC address (<= 12 octets) + TPDU (<= 176 octets), rounded up. */
#define DM_SMS_PDU_MAX 192
/** Largest TPDU length accepted in +CMT/+CMGR headers (octets). */
#define DM_SMS_TPDU_MAX 176
/** Raw input buffer of the tty layer (bytes read per read(2)). */
#define DM_SMS_RX_MAX 256
/** read(2) calls per dm_sms_poll at most (bounded work per call). */
#define DM_SMS_READS_PER_POLL 4

/** Indices of the uint32 counters written by dm_sms_stats (little-endian, 4 bytes each). */
enum {
  DM_SMS_STAT_PDUS = 0,     /**< PDUs handed out */
  DM_SMS_STAT_BAD_PDU,      /**< PDU lines that were not hex or whose length did not match the header */
  DM_SMS_STAT_OVERLONG,     /**< lines longer than DM_AT_LINE_MAX (discarded) */
  DM_SMS_STAT_IGNORED,      /**< lines not understood (unsolicited codes we do not use, garbage) */
  DM_SMS_STAT_ERRORS,       /**< ERROR / +CME ERROR / +CMS ERROR final results */
  DM_SMS_STAT_TIMEOUTS,     /**< commands that got no final result in time */
  DM_SMS_STAT_DROPPED,      /**< stored-message indications dropped because the command queue was full */
  DM_SMS_STAT_ACKS,         /**< AT+CNMA sent */
  DM_SMS_STAT_STATE,        /**< 0 initialising, 1 running, 2 failed */
  DM_SMS_STAT_STORED_MODE,  /**< 1 when messages are routed via storage (+CMTI), 0 for direct +CMT */
  DM_SMS_STAT_ACK_MODE,     /**< 1 when every +CMT is acknowledged with AT+CNMA */
  DM_SMS_STAT_RETRIES,      /**< commands re-sent after a timeout or an ERROR */
  DM_SMS_STAT_COUNT
};
/** Values of DM_SMS_STAT_STATE. */
enum { DM_AT_PHASE_INIT = 0, DM_AT_PHASE_RUN = 1, DM_AT_PHASE_FAILED = 2 };

/** One command waiting in the AT queue. */
typedef struct dm_at_cmd {
  uint8_t kind;  /**< DM_AT_CMD_* (at.c) */
  uint16_t idx;  /**< storage index for AT+CMGR / AT+CMGD */
} dm_at_cmd_t;

/**
 * The AT dialogue as a byte-driven state machine (no I/O, no clock: the caller passes `now`).
 * Fields are private to at.c; the struct is public only so callers can own its memory.
 */
typedef struct dm_at {
  uint32_t flags;          /* DM_SMS_F_* as requested */
  uint32_t timeout_ms;     /* per-command final-result timeout */
  uint8_t phase;           /* DM_AT_PHASE_* */
  uint8_t init_step;       /* index into the init sequence */
  uint8_t tries;           /* attempts of the command in flight */
  uint8_t stored;          /* 1: +CNMI routes to storage (maybe after falling back) */
  uint8_t ack;             /* 1: +CMT needs AT+CNMA */
  uint8_t inflight;        /* DM_AT_CMD_* in flight (or backing off before a re-send), 0 none */
  uint8_t backoff;         /* 1: the command in `inflight` got ERROR and is re-sent at deadline_ms */
  uint8_t csms_mt;         /* <mt> of the +CSMS: answer, 0xff when none was seen */
  uint16_t inflight_idx;   /* its storage index */
  uint8_t expect_pdu;      /* 0, or DM_AT_CMD_* whose header announced a PDU line next (CMT or CMGR) */
  uint16_t expect_len;     /* TPDU length from that header */
  uint8_t line_overflow;   /* discarding the rest of an overlong line */
  uint16_t line_len;
  char line[DM_AT_LINE_MAX];
  int64_t deadline_ms;     /* when the command in flight times out; -1 none */
  int err;                 /* terminal error when phase == FAILED */
  dm_at_cmd_t queue[DM_AT_QUEUE_MAX];
  uint8_t q_head, q_len;
  char tx[40];             /* the command being written (one at a time) */
  uint8_t tx_len, tx_off;
  uint8_t sent;            /* a command was put into tx during the current dm_at_input call */
  uint8_t pdu_ready;
  uint16_t pdu_len;
  uint8_t pdu[DM_SMS_PDU_MAX];
  uint32_t stats[DM_SMS_STAT_COUNT];
} dm_at_t;

/** Starts the init sequence (ATE0, AT+CMGF=0, [AT+CSMS=1], AT+CNMI=...); the first command is queued in tx. */
void dm_at_init(dm_at_t *at, uint32_t flags, uint32_t timeout_ms, int64_t now_ms);
/**
 * Feeds modem output. Consumes bytes until the input ends, one PDU became ready, or a new command
 * was put into the output (it stops right after that line: take the PDU / write the command, then
 * feed the rest). Returns bytes consumed.
 */
size_t dm_at_input(dm_at_t *at, const uint8_t *in, size_t len, int64_t now_ms);
/** Handles timeouts due at `now_ms` (retry, drop, or fail the init with -ETIMEDOUT). */
void dm_at_tick(dm_at_t *at, int64_t now_ms);
/** Copies the ready PDU (SMSC prefix included) into `out`: length, 0 if none, -ENOBUFS if cap is too small (kept). */
int dm_at_take_pdu(dm_at_t *at, uint8_t *out, size_t cap);
/** Bytes of the pending command still to be written; *p points at them. */
size_t dm_at_output(const dm_at_t *at, const uint8_t **p);
/** Marks n output bytes as written. */
void dm_at_output_done(dm_at_t *at, size_t n);
/** Absolute time (ms) of the next timeout, or -1 when none is armed. */
int64_t dm_at_deadline(const dm_at_t *at);
/** 0 while healthy; -ETIMEDOUT or -EPROTO once the init failed for good. */
int dm_at_error(const dm_at_t *at);
/** Decodes hex (either case) into out; returns the byte count or -EINVAL (odd length, bad digit) / -ENOBUFS. */
int dm_hex_decode(const char *hex, size_t n, uint8_t *out, size_t cap);

/** The modem on a tty: fd + AT machine + raw input buffer. */
typedef struct dm_sms {
  int fd;
  int restore;              /* 1: `saved` holds the termios to restore on close */
  struct termios saved;
  uint16_t rx_off, rx_len;
  uint8_t rx[DM_SMS_RX_MAX];
  dm_at_t at;
} dm_sms_t;

/* ------------------------------------------------------------------ WDP over UDP */
#define DM_WDP_PORT 2948          /**< WAP push over IP (connectionless WSP) */
#define DM_WDP_F_LOOPBACK 0x1u    /**< bind 127.0.0.1 instead of every interface */
#define DM_WDP_MAX_DATAGRAM 1500  /**< buffer size callers should pass; larger datagrams are -EMSGSIZE */
#define DM_WDP_RECVS_PER_CALL 4   /**< empty datagrams skipped per call at most */

typedef struct dm_wdp { int fd; } dm_wdp_t;

/* ------------------------------------------------------------------ flash */
/** Backend kinds for dm_flash_open. */
enum {
  DM_FLASH_FILE = 0,     /**< plain file: pwrite + fdatasync; erase writes 0xFF */
  DM_FLASH_BLOCK = 1,    /**< block device / eMMC partition: like FILE, size from BLKGETSIZE64 */
  DM_FLASH_MTD = 2,      /**< Linux MTD char device: MEMGETINFO, MEMERASE, aligned writes, read-back verify */
  DM_FLASH_SIM = 3,      /**< file emulating NOR: erased = 0xFF, programming can only clear bits */
  DM_FLASH_SIM_NAND = 4, /**< like SIM, and a page can be programmed only once per erase */
};
/** Bits of DM_FLASH_INFO_FLAGS. */
#define DM_FLASH_INFO_F_VERIFY 0x1u  /**< writes are read back and compared */
#define DM_FLASH_INFO_F_ALIGNED 0x2u /**< writes must be page-aligned (offset and length) */
#define DM_FLASH_INFO_F_DEAD 0x4u    /**< simulated power cut happened; I/O is refused until reopen */
/** Indices of the uint32 values written by dm_flash_info (little-endian). */
enum {
  DM_FLASH_INFO_SIZE = 0,   /**< usable size in bytes (a multiple of the erase size, < 4 GiB) */
  DM_FLASH_INFO_ERASE,      /**< erase-block size in bytes */
  DM_FLASH_INFO_PAGE,       /**< write-page size in bytes (1 when unaligned writes are fine) */
  DM_FLASH_INFO_KIND,       /**< DM_FLASH_* */
  DM_FLASH_INFO_FLAGS,      /**< DM_FLASH_INFO_F_* */
  DM_FLASH_INFO_SIM_OPS,    /**< simulator: page programs (+ erases when counted) since open or the last arm */
  DM_FLASH_INFO_COUNT
};
/** Simulator defaults (bytes) when dm_flash_open gets 0. */
#define DM_FLASH_SIM_DEFAULT_ERASE 4096u
#define DM_FLASH_SIM_DEFAULT_PAGE 256u
/** Default erase unit of FILE/BLOCK backends (bytes) when dm_flash_open gets 0. */
#define DM_FLASH_DEFAULT_ERASE 65536u
/** Largest erase block / page accepted (bytes). */
#define DM_FLASH_MAX_ERASE (16u * 1024u * 1024u)
/** dm_flash_sim_fault flags. */
#define DM_SIM_FAULT_EIO 0x1u    /**< on the cut return -EIO and refuse further I/O instead of _exit() */
#define DM_SIM_FAULT_ERASE 0x2u  /**< erases count as operations too (and can be torn) */
/** Exit status of a process whose simulated flash lost power. */
#define DM_SIM_EXIT_CODE 86
/** Environment variable read by dm_flash_open for the SIM kinds: "nth[,tear_bytes[,flags]]". */
#define DM_SIM_FAULT_ENV "DM_FLASH_SIM_FAULT"

typedef struct dm_flash {
  int fd;
  uint32_t kind, size, erase, page, info_flags;
  uint32_t mtd_type;      /* MTD_NORFLASH, MTD_NANDFLASH... (MEMGETINFO), for the bad-block check */
  uint32_t sim_ops;       /* operations counted since open / arm */
  uint32_t fault_nth;     /* 1-based operation that is cut; 0 disarmed */
  uint32_t fault_tear;    /* bytes of that operation that still reach the medium */
  uint32_t fault_flags;   /* DM_SIM_FAULT_* */
  int dead;               /* cut happened (EIO mode) */
} dm_flash_t;

/* ------------------------------------------------------------------ files */
/** dm_file_open flags (portable; mapped to O_*). Without DM_FILE_WRITE the file is read-only. */
#define DM_FILE_WRITE 0x1u
#define DM_FILE_CREATE 0x2u
#define DM_FILE_TRUNC 0x4u
#define DM_FILE_EXCL 0x8u
#define DM_FILE_F_ALL 0xFu

typedef struct dm_file { int fd; } dm_file_t;

/** Longest path / string argument the bindings accept (bytes, without the NUL). */
#define DM_STR_MAX 1023

/* ------------------------------------------------------------------ the context */
/** Generation + kind bookkeeping of one slot. */
typedef struct dm_slot { uint16_t gen; uint8_t used; } dm_slot_t;

/**
 * Everything the native layer holds for one JS environment. Zero-initialise, then dm_ctx_init();
 * dm_ctx_close_all() releases every open handle (binding cleanup hooks and finalizers call it).
 */
typedef struct dm_ctx {
  dm_slot_t sms_slot[DM_MAX_SMS];
  dm_slot_t wdp_slot[DM_MAX_WDP];
  dm_slot_t flash_slot[DM_MAX_FLASH];
  dm_slot_t file_slot[DM_MAX_FILE];
  dm_sms_t sms[DM_MAX_SMS];
  dm_wdp_t wdp[DM_MAX_WDP];
  dm_flash_t flash[DM_MAX_FLASH];
  dm_file_t file[DM_MAX_FILE];
} dm_ctx_t;

void dm_ctx_init(dm_ctx_t *ctx);
void dm_ctx_close_all(dm_ctx_t *ctx);

/* ------------------------------------------------------------------ the exported API (see exports.h) */
/** Monotonic clock (CLOCK_MONOTONIC) in milliseconds, fractional. */
double dm_clock_monotonic_ms(dm_ctx_t *ctx);
/** Fills buf with len random bytes (getrandom); returns len or -errno. */
int dm_random(dm_ctx_t *ctx, uint8_t *buf, uint32_t len);
/** Closes any handle. Idempotent: 0 for an already closed/stale handle of a valid shape; -EBADF for garbage. */
int dm_close(dm_ctx_t *ctx, uint32_t h);
/** The OS file descriptor behind an SMS or WDP handle (for os.setReadHandler / uv_poll); -EBADF otherwise. */
int dm_handle_fd(dm_ctx_t *ctx, uint32_t h);

/** Opens the modem tty (raw, non-blocking) and starts the init dialogue. timeout_ms 0 = default. Returns a handle. */
int dm_sms_open(dm_ctx_t *ctx, const char *path, uint32_t flags, uint32_t timeout_ms);
/**
 * Reads what is available (bounded), advances the AT machine, writes due commands. Returns the length
 * of one complete PDU copied into buf (always with the SMSC address prefix: 27.005 PDU mode), 0 when
 * none is ready yet, or -errno (-ETIMEDOUT/-EPROTO: init failed; -EIO/-EPIPE: the tty went away;
 * -ENOBUFS: cap < the PDU, which stays queued). Call again until it returns 0.
 */
int dm_sms_poll(dm_ctx_t *ctx, uint32_t h, uint8_t *buf, uint32_t cap);
/** Milliseconds until dm_sms_poll must be called even without input (timeouts): 0 now, -1 never (until readable). */
int dm_sms_wait(dm_ctx_t *ctx, uint32_t h);
/** Writes up to cap/4 counters (DM_SMS_STAT_*) as little-endian uint32; returns bytes written. */
int dm_sms_stats(dm_ctx_t *ctx, uint32_t h, uint8_t *buf, uint32_t cap);
int dm_sms_close(dm_ctx_t *ctx, uint32_t h);

/** Opens a non-blocking UDP socket on port (0 = ephemeral) for WDP datagrams. Returns a handle. */
int dm_wdp_open(dm_ctx_t *ctx, uint32_t port, uint32_t flags);
/** One datagram into buf: its length, 0 when none is waiting, -EMSGSIZE when it was larger than cap (dropped). */
int dm_wdp_recv(dm_ctx_t *ctx, uint32_t h, uint8_t *buf, uint32_t cap);
/** The local port the socket is bound to. */
int dm_wdp_port(dm_ctx_t *ctx, uint32_t h);
int dm_wdp_close(dm_ctx_t *ctx, uint32_t h);

/**
 * Opens a flash backend. erase/page/size 0 = from the device (MTD, block, existing file) or the default.
 * SIM: creates the image filled with 0xFF when missing or empty; reads DM_SIM_FAULT_ENV. Returns a handle.
 */
int dm_flash_open(dm_ctx_t *ctx, const char *path, uint32_t kind, uint32_t erase, uint32_t page, uint32_t size);
/** Writes up to cap/4 values (DM_FLASH_INFO_*) as little-endian uint32; returns bytes written. */
int dm_flash_info(dm_ctx_t *ctx, uint32_t h, uint8_t *buf, uint32_t cap);
/** Erases exactly one erase block (index `block`): afterwards it reads 0xFF. */
int dm_flash_erase(dm_ctx_t *ctx, uint32_t h, uint32_t block);
/** Writes len (<= one erase block) bytes at offset; page-aligned and read back on MTD/SIM. Returns len. */
int dm_flash_write(dm_ctx_t *ctx, uint32_t h, uint32_t offset, uint8_t *buf, uint32_t len);
/** Reads len bytes at offset (short only at the end of the device). Returns the count. */
int dm_flash_read(dm_ctx_t *ctx, uint32_t h, uint32_t offset, uint8_t *buf, uint32_t len);
/** Makes completed writes durable (fdatasync; no-op on MTD whose writes are synchronous). */
int dm_flash_sync(dm_ctx_t *ctx, uint32_t h);
/**
 * Arms (nth > 0) or disarms (nth = 0) the simulated power cut: operation number `nth` (page program,
 * or erase with DM_SIM_FAULT_ERASE) writes only its first `tear` bytes, then the power goes:
 * _exit(DM_SIM_EXIT_CODE), or -EIO and refused I/O with DM_SIM_FAULT_EIO. Resets the op counter.
 * -ENOTSUP on non-SIM kinds.
 */
int dm_flash_sim_fault(dm_ctx_t *ctx, uint32_t h, uint32_t nth, uint32_t tear, uint32_t flags);
int dm_flash_close(dm_ctx_t *ctx, uint32_t h);

/** Opens a file (DM_FILE_* flags, mode 0644 when created). Returns a handle. */
int dm_file_open(dm_ctx_t *ctx, const char *path, uint32_t flags);
/** Reads up to len bytes at pos; returns the count (0 at end of file). */
int dm_file_pread(dm_ctx_t *ctx, uint32_t h, uint32_t pos, uint8_t *buf, uint32_t len);
/** Writes all len bytes at pos; returns len. */
int dm_file_pwrite(dm_ctx_t *ctx, uint32_t h, uint32_t pos, uint8_t *buf, uint32_t len);
/** fdatasync. */
int dm_file_sync(dm_ctx_t *ctx, uint32_t h);
int dm_file_truncate(dm_ctx_t *ctx, uint32_t h, uint32_t len);
/** File size in bytes (-EFBIG above INT32_MAX). */
int dm_file_size(dm_ctx_t *ctx, uint32_t h);
/** rename(2), then fsync of the directory (of both directories when they differ): durable on return. */
int dm_file_rename(dm_ctx_t *ctx, const char *from, const char *to);
/** unlink(2), then fsync of the directory. -ENOENT when absent. */
int dm_file_remove(dm_ctx_t *ctx, const char *path);
int dm_file_close(dm_ctx_t *ctx, uint32_t h);

/* ------------------------------------------------------------------ internal helpers shared by core files */
/** Allocates a slot of `kind`; returns the slot index or -EMFILE. *handle receives the new handle. */
int dm_ctx_alloc(dm_ctx_t *ctx, int kind, uint32_t *handle);
/** Resolves a handle of `kind` to its slot index, or -EBADF. */
int dm_ctx_slot(const dm_ctx_t *ctx, int kind, uint32_t h);
/** Releases the slot of a resolved handle. */
void dm_ctx_release(dm_ctx_t *ctx, int kind, int slot);
/** CLOCK_MONOTONIC in whole milliseconds. */
int64_t dm_now_ms(void);
/** Stores v little-endian at p. */
void dm_put_le32(uint8_t *p, uint32_t v);

#ifdef __cplusplus
}
#endif
#endif /* DM_NATIVE_H */

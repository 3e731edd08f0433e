/**
 * The SyncML DM message model: what the decoder hands to the session engine and the DPU, and what
 * the response builder writes. Not a DOM: a header record and a flat list of command records whose
 * data values are views into the received message bytes (decoded to text only on request).
 *
 * Everything here is plain data, so tests can build messages by hand.
 */

/** Protocol dialect of a message (from VerDTD/VerProto or the namespace, never the WBXML public id). */
export type DmVersion = '1.2' | '1.1.2';

/** Wire encoding. */
export type Encoding = 'wbxml' | 'xml';

/**
 * A data value: the bytes of a `Data` element (or another text element) as received.
 * For XML, `bytes` is the text with entities and CDATA already resolved (a view into the input
 * when there was nothing to resolve, a small copy otherwise). For WBXML, the concatenation of
 * STR_I/STR_T/ENTITY/OPAQUE content (a view when it was a single inline string or OPAQUE).
 */
export interface DataValue {
  /** 'opaque' when the content arrived as WBXML OPAQUE (binary), else 'text'. */
  readonly kind: 'text' | 'opaque';
  readonly bytes: Uint8Array;
  /** The value as a string (UTF-8 decoded, computed on first call). */
  text(): string;
}

/** MetInf fields DM uses (OMA DM RepPro §1.3 of the facts sheet). Absent = not sent. */
export interface Meta {
  type?: string;
  format?: string;
  /** Meta Size (total object size of a large object; decimal). */
  size?: number;
  maxMsgSize?: number;
  maxObjSize?: number;
  /** Base64 text as received (NextNonce inside Chal). */
  nextNonce?: string;
  mark?: string;
  version?: string;
  /** EMI values, vendor extensions (kept as text). */
  emi?: string[];
}

/** Cred (SyncHdr only in DM): Meta Type = scheme, Format usually b64, Data = credential. */
export interface Cred {
  meta: Meta;
  data: string;
}

/** Chal inside a Status: Meta with Type, Format, NextNonce. */
export interface Chal {
  meta: Meta;
}

export interface Item {
  /** Target/LocURI, whitespace-trimmed. */
  target?: string;
  targetName?: string;
  /** Source/LocURI, whitespace-trimmed. */
  source?: string;
  sourceName?: string;
  meta?: Meta;
  data?: DataValue;
  /** `<MoreData/>` present: this is a non-final chunk of a large object. */
  moreData: boolean;
}

/** Command element names a DM peer may send (DS-only ones are recognised so they can be refused). */
export type CommandName =
  | 'Add' | 'Alert' | 'Atomic' | 'Copy' | 'Delete' | 'Exec' | 'Get' | 'Replace' | 'Sequence'
  | 'Results' | 'Status'
  | 'Map' | 'Put' | 'Search' | 'Sync' | 'Move';

/**
 * One command of SyncBody (or of an Atomic/Sequence). Fields that a command kind does not use
 * stay undefined. Malformed commands are still delivered (with `error` set) so the DPU can
 * answer them with a status instead of dropping them.
 */
export interface Command {
  /** Element name; for an element that is not a known command, 'Unknown' with `element` set. */
  name: CommandName | 'Unknown';
  /** Local name of the element as received (useful for 'Unknown'). */
  element: string;
  /** CmdID text, trimmed; null when missing (answer 400 with an empty CmdRef). */
  cmdId: string | null;
  noResp: boolean;
  meta?: Meta;
  items: Item[];
  /** Alert: the alert code text; Status: the status code text; others: unused. */
  data?: DataValue;
  /** Exec and Alert (1.2 only). */
  correlator?: string;
  /** Atomic / Sequence children, in order. */
  children?: Command[];
  // Status and Results references:
  msgRef?: string;
  cmdRef?: string;
  /** Status: the `Cmd` element (name of the referenced command). */
  cmd?: string;
  targetRefs?: string[];
  sourceRefs?: string[];
  chal?: Chal;
  /** Command-level Cred (not allowed in DM; recorded so it can be refused). */
  cred?: Cred;
  /** Set when the command is structurally wrong (the DPU answers it with `errorStatus`). */
  error?: string;
  /** Status code the DPU should answer a malformed command with (400, 412, 406...). */
  errorStatus?: number;
}

export interface SyncHdr {
  verDtd: string;
  verProto: string;
  sessionId: string;
  msgId: string;
  /** Target/LocURI (trimmed). */
  target: string;
  targetName?: string;
  /** Source/LocURI (trimmed). */
  source: string;
  sourceName?: string;
  respUri?: string;
  noResp: boolean;
  cred?: Cred;
  meta?: Meta;
}

export interface Message {
  version: DmVersion;
  encoding: Encoding;
  hdr: SyncHdr;
  body: Command[];
  /** `<Final/>` present in SyncBody. */
  final: boolean;
}

// ---------------------------------------------------------------------------------------------
// What we send: plain records the response builder serialises (in DTD element order).

/** An Item we send. `data` as a string is written as text; bytes as OPAQUE (WBXML) or text (XML, must be UTF-8/base64). */
export interface OutItem {
  target?: string;
  source?: string;
  /** Source/LocName (rare; kept for completeness). */
  sourceName?: string;
  meta?: Meta;
  data?: string | Uint8Array;
  moreData?: boolean;
}

export interface OutStatus {
  kind: 'Status';
  msgRef: string;
  cmdRef: string;
  cmd: string;
  targetRefs?: string[];
  sourceRefs?: string[];
  chal?: Chal;
  code: number;
  items?: OutItem[];
}

export interface OutResults {
  kind: 'Results';
  msgRef: string;
  cmdRef: string;
  meta?: Meta;
  targetRef?: string;
  sourceRef?: string;
  items: OutItem[];
}

export interface OutAlert {
  kind: 'Alert';
  code: number;
  correlator?: string;
  items?: OutItem[];
}

/** Client-sent Replace (package 1 DevInfo). */
export interface OutReplace {
  kind: 'Replace';
  meta?: Meta;
  items: OutItem[];
}

/** Server-side commands (used by the loopback test server's builder). */
export interface OutCommand {
  kind: 'Add' | 'Replace' | 'Delete' | 'Get' | 'Exec' | 'Copy' | 'Alert' | 'Atomic' | 'Sequence';
  noResp?: boolean;
  meta?: Meta;
  correlator?: string;
  /** Alert code for kind 'Alert'. */
  code?: number;
  items?: OutItem[];
  children?: OutCommand[];
}

export type OutRecord = OutStatus | OutResults | OutAlert | OutReplace;

export interface OutHeader {
  version: DmVersion;
  sessionId: string;
  msgId: string;
  target: string;
  targetName?: string;
  source: string;
  sourceName?: string;
  respUri?: string;
  cred?: Cred;
  meta?: Meta;
}

/**
 * The scriptable loopback DM 1.2 / 1.1.2 test server (portable part). Test tooling: never bundled
 * into device images. The Node listener is target/node/server.ts; the script format is docs/server.md.
 */
export { DmServer } from './DmServer';
export type { DmServerOptions } from './DmServer';
export { ServerSession } from './ServerSession';
export type { SessionContext, SessionReply } from './ServerSession';
export { parseScript, ScriptError, dataBytes } from './script';
export type {
  Script, ScriptCommand, ScriptItem, ScriptPackage, ScriptVersion, ScriptEncoding, ScriptCommandName, ScriptErrorCode,
  ClientAuth, ServerAuth, AuthType, Faults, RedirectFault, SessionExpectations, ParseScriptOptions,
} from './script';
export type { SessionRecord, MessageRecord, AuthEvent, StatusRecord, ResultValue, AlertRecord, Failure, Outcome, ServerEvent } from './record';
export { redactXml, redactHeaders } from './record';
export type { HttpRequest, HttpResponse, TruncateDirective } from './http';
export { CONTENT_TYPE_WBXML, CONTENT_TYPE_XML, HMAC_HEADER, contentTypeOf } from './http';
export type { ServerLimits } from './limits';
export {
  DEFAULT_SERVER_LIMITS, checkServerLimits, DEFAULT_SERVER_MAX_IN_MSG_SIZE, DEFAULT_SERVER_MAX_OUT_MSG_SIZE,
  DEFAULT_SERVER_MIN_OUT_MSG_SIZE, DEFAULT_SERVER_MAX_OBJ_SIZE, DEFAULT_SERVER_MAX_SESSIONS, DEFAULT_SERVER_MAX_RECORD_ENTRIES,
  DEFAULT_SERVER_SESSION_TIMEOUT_MS, DEFAULT_SERVER_MAX_EVENTS, DEFAULT_SERVER_MAX_CMDS, DEFAULT_SERVER_MAX_ITEMS,
} from './limits';
export type { ServerStateData, DeviceState } from './state';
export { emptyState, checkState, DEFAULT_MAX_STATE_DEVICES } from './state';
export {
  AUTH_TYPES, schemeOfType, basicCredential, parseBasicCredential, md5Credential, hmacMac, userDigest,
  parseHmacHeader, formatHmacHeader,
} from './auth';
export type { AuthScheme, HmacParams } from './auth';

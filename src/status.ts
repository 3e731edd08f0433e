/** SyncML / OMA DM status codes (OMA-TS-DM_RepPro-V1_2 §4.1.6, SyncML RepPro status list). */
export enum Status {
  InProgress = 101,
  Ok = 200,
  Accepted = 202,
  AuthAccepted = 212,
  ChunkAccepted = 213,
  Cancelled = 214,
  NotExecuted = 215,
  AtomicRollbackOk = 216,
  NotModified = 304,
  BadRequest = 400,
  InvalidCredentials = 401,
  Forbidden = 403,
  NotFound = 404,
  CommandNotAllowed = 405,
  OptionalFeatureNotSupported = 406,
  MissingCredentials = 407,
  RequestTimeout = 408,
  IncompleteCommand = 412,
  EntityTooLarge = 413,
  UriTooLong = 414,
  UnsupportedMediaType = 415,
  RequestedSizeTooBig = 416,
  RetryLater = 417,
  AlreadyExists = 418,
  DeviceFull = 420,
  SizeMismatch = 424,
  PermissionDenied = 425,
  CommandFailed = 500,
  NotImplemented = 501,
  ServiceUnavailable = 503,
  DtdVersionNotSupported = 505,
  ProcessingError = 506,
  AtomicFailed = 507,
  DataStoreFailure = 510,
  ProtocolVersionNotSupported = 513,
  OperationCancelled = 514,
  AtomicRollbackFailed = 516,
  AtomicResponseTooLarge = 517,
}

/** True for 2xx codes. */
export function isSuccess(code: number): boolean {
  return code >= 200 && code < 300;
}

/** DM alert codes (OMA-TS-DM_RepPro-V1_2 §4.2). */
export enum AlertCode {
  Display = 1100,
  Confirm = 1101,
  TextInput = 1102,
  SingleChoice = 1103,
  MultipleChoice = 1104,
  ServerInitiated = 1200,
  ClientInitiated = 1201,
  NextMessage = 1222,
  SessionAbort = 1223,
  ClientEvent = 1224,
  NoEndOfData = 1225,
  GenericAlert = 1226,
}
